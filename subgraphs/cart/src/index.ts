import { runService } from "@store/kit";
import { cartService } from "./service.ts";

await runService(cartService);
