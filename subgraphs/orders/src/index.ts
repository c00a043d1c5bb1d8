import { runService } from "@store/kit";
import { ordersService } from "./service.ts";

await runService(ordersService);
