import type { Command } from 'commander';
import { probe, type ProbeOptions } from '../../bridge/probe.ts';

/** A usage error inside commander (unknown option, missing argument) exits 2, like our own checks. */
function usageExit(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });
}

export function register(program: Command): void {
  usageExit(program
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
    .action(async (url: string, opts: ProbeOptions) => {
      process.exitCode = await probe(url, opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    }));
}
