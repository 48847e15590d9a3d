// The retention run's request (pg_cron sends an empty object).
import { z } from "zod";

export const retentionRunBody = z.strictObject({});
