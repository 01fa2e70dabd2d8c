import type { Command } from 'commander';
import { serveUntilSignal, type ServeCliOptions } from '../../bridge/serve-cli.ts';

const collect = (v: string, all: string[]): string[] => [...all, v];

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve in-memory exports with the Orion NBD server on a real TCP port until interrupted')
    .requiredOption('--port <port>', 'TCP port (0 picks a free one)')
    .option('--export <name=size>', 'an export, e.g. disk=64M (repeatable)', collect, [])
    .option('--tls-psk <file>', 'require TLS-PSK with keys from this file (username:hexkey lines)')
    .option('--bind <addr>', 'listen address (default 127.0.0.1)')
    .option('-v, --verbose', 'log connections and options to stderr')
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') process.exit(0);
      process.exit(2);
    })
    .action(async (opts: ServeCliOptions) => {
      process.exitCode = await serveUntilSignal(opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
