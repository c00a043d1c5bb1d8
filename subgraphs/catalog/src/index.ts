import { runService } from "@store/kit";
import { catalogService } from "./service.ts";

await runService(catalogService);
