import type { ConfigFactInput } from '@vigil/protocol';
import { type Collector, numberedLines, oneLine, readRootText } from './context.ts';

export const MAX_PASSWD_BYTES = 4 * 1024 * 1024;

/**
 * Accounts other than root with user id 0 in /etc/passwd: each is root under another name (a
 * classic backdoor), so each is its own fact, named by the account.
 */
export const accountsCollector: Collector = {
  name: 'accounts',
  async run(ctx) {
    const text = await readRootText(ctx, 'etc/passwd', MAX_PASSWD_BYTES);
    if (text === null) return { status: 'skipped', message: 'no /etc/passwd' };
    const facts: ConfigFactInput[] = [];
    for (const { line, number } of numberedLines(text)) {
      const fields = line.split(':');
      if (fields.length < 7 || line.startsWith('#')) continue;
      const [name = '', , uid = ''] = fields;
      // The kernel reads the uid as a number: "00" is root too.
      if (!/^\d{1,10}$/.test(uid) || Number(uid) !== 0 || name === 'root' || name === '') continue;
      const account = oneLine(name, 200);
      facts.push({
        id: 'accounts.uid0',
        severity: 'HIGH',
        subject: account,
        observed: `account ${account} has UID 0`,
        evidence: [`/etc/passwd:${number}`],
      });
    }
    if (facts.length === 0)
      facts.push({ id: 'accounts.uid0', severity: 'NONE', observed: 'only root has UID 0', evidence: ['/etc/passwd'] });
    return { facts: facts.slice(0, 100) };
  },
};
