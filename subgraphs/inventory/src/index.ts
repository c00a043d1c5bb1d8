import { runService } from "@store/kit";
import { inventoryService } from "./service.ts";

await runService(inventoryService);
