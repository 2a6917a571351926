import { SetMetadata } from '@nestjs/common';

/** The metadata key {@link Public} sets; libs/auth's X-Auth-Token guard reads it. */
export const PUBLIC_ROUTE = 'lintel:public';

/** Marks a route (or controller) that needs no X-Auth-Token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
