/** `node --import tsx bench/lib/token.ts <jwt-secret> <userId> <role>`: prints an access token the router accepts (2 h). */
import { issueAccessToken, type Role } from "@store/kit";

const [secret, userId, role] = process.argv.slice(2);
const { accessToken } = await issueAccessToken(secret!, { userId: userId!, roles: [role as Role] }, 7200);
process.stdout.write(`${accessToken}\n`);
