import { runService } from "@store/kit";
import { accountsService } from "./service.ts";

await runService(accountsService);
