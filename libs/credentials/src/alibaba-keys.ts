import { randomInt } from 'node:crypto';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function draw(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** An Alibaba AccessKeyId: `LTAI` + 20 crypto-random alphanumerics, 24 characters (docs/alibaba.md, "Requests and answers"). */
export const newAlibabaAccessKeyId = (): string => `LTAI${draw(20)}`;

/** An Alibaba AccessKeySecret: 30 crypto-random alphanumerics (docs/alibaba.md, "Requests and answers"). */
export const newAlibabaAccessKeySecret = (): string => draw(30);
