import { Controller, Get } from '@nestjs/common';

/** Liveness of the multicloud app; its dialects arrive with their issues. */
@Controller()
export class HealthController {
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }
}
