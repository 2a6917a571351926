import { Injectable } from '@nestjs/common';

/**
 * Knobs of the Outscale dialect. They are not LINTEL_* variables yet (libs/config owns those):
 * the defaults are what the spec asks for, and tests change them on the running app.
 */
@Injectable()
export class OutscaleSettings {
  /** ReadSecretAccessKey is deprecated and removed upstream (B.8): off unless switched on. */
  readSecretAccessKey = false;
  /** The region a signature's scope must name; undefined accepts any region (B.2). */
  region: string | undefined = undefined;
}
