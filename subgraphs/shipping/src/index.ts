import { runService } from "@store/kit";
import { shippingService } from "./service.ts";

await runService(shippingService);
