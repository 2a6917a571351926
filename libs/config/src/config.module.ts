import { Global, Module, type DynamicModule } from '@nestjs/common';
import { type LintelConfig } from './config.js';

/** DI token of the validated `LintelConfig`. */
export const LINTEL_CONFIG = Symbol('LINTEL_CONFIG');

@Global()
@Module({})
export class LintelConfigModule {
  static forRoot(config: LintelConfig): DynamicModule {
    return { module: LintelConfigModule, providers: [{ provide: LINTEL_CONFIG, useValue: config }], exports: [LINTEL_CONFIG] };
  }
}
