import { Injectable } from '@nestjs/common';

/**
 * Knobs of the Outscale dialect. They are not LINTEL_* variables yet (libs/config owns those):
 * the defaults are what docs/outscale.md describes, and tests change them on the running app.
 */
@Injectable()
export class OutscaleSettings {
  /** ReadSecretAccessKey is deprecated and removed upstream (docs/outscale.md, "Requests and answers"): off unless switched on. */
  readSecretAccessKey = false;
  /** The region a signature's scope must name; undefined accepts any region (docs/outscale.md, "Authentication"). */
  region: string | undefined = undefined;
}
