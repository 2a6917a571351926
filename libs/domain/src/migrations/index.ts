import { Init1763900000000 } from './1763900000000-init.js';
import { Credentials1764000000000 } from './1764000000000-credentials.js';

/** Every migration, oldest first. One list serves SQLite and MySQL/MariaDB. */
export const MIGRATIONS = [Init1763900000000, Credentials1764000000000];
