import { runService } from "@store/kit";
import { paymentsService } from "./service.ts";

await runService(paymentsService);
