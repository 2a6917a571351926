import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { Public } from '@lintel/auth';
import { baseUrl } from '../base-url.js';

function version(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Version discovery (docs/keystone.md, "Discovery"): `/` answers 300 with the one version, `/v3` describes it. */
@Public()
@Controller()
export class DiscoveryController {
  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {}

  @Get()
  versions(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const base = baseUrl(req, this.cfg);
    reply.status(300).header('Location', `${base}/v3/`).send({ versions: { values: [version(base)] } });
  }

  @Get('v3')
  v3(@Req() req: FastifyRequest) {
    return { version: version(baseUrl(req, this.cfg)) };
  }
}
