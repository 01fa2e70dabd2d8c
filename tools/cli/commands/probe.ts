import type { Command } from 'commander';
import { lazy, type CommandModule } from '../command.ts';
import { createContext } from '../context.ts';
import type { ProbeOptions } from '../../bridge/probe.ts';

/** `probe nbd://HOST:PORT[/EXPORT]`: our client against any NBD server, nbdinfo-style. Exit 0/1/2. */
export const probeCommand: CommandModule = {
  name: 'probe',
  register(program, ctx) {
    program
      .command('probe')
      .description('connect to an NBD server with the Orion client and print what nbdinfo prints')
      .argument('<url>', 'nbd://HOST:PORT[/EXPORT]')
      .option('--json', 'print JSON')
      .option('--list', 'list every export (NBD_OPT_LIST) and describe each')
      .option('--map', 'print the base:allocation map of the export')
      .option('--tls-psk <file>', 'require TLS with a pre-shared key file (username:hexkey lines)')
      .option('--tls-user <name>', 'PSK user name to use from the file (default: the first)')
      .option('--read <off:len>', 'read LEN bytes at OFF and report a checksum')
      .option('--write <off:len:byte>', 'write LEN bytes of BYTE at OFF')
      .option('--flush', 'send NBD_CMD_FLUSH')
      .action(lazy(ctx, async () => {
        const { probe } = await import('../../bridge/probe.ts');
        return (c, url: string, opts: ProbeOptions) => probe(url, opts, { out: c.io.stdout, err: c.io.stderr });
      }));
  },
};

/** Standalone registration (outside main's shared context). */
export function register(program: Command): void {
  probeCommand.register(program, createContext());
}
