import type { Command } from 'commander';
import { lazy, type CommandModule } from '../command.ts';
import { createContext } from '../context.ts';
import type { ServeCliOptions } from '../../bridge/serve-cli.ts';

const collect = (v: string, all: string[]): string[] => [...all, v];

/** `serve --port PORT --export NAME=SIZE...`: the Orion NBD server on real TCP until SIGINT/SIGTERM. */
export const serveCommand: CommandModule = {
  name: 'serve',
  register(program, ctx) {
    program
      .command('serve')
      .description('serve in-memory exports with the Orion NBD server on a real TCP port until interrupted')
      .requiredOption('--port <port>', 'TCP port (0 picks a free one)')
      .option('--export <name=size>', 'an export, e.g. disk=64M (repeatable)', collect, [])
      .option('--tls-psk <file>', 'require TLS-PSK with keys from this file (username:hexkey lines)')
      .option('--bind <addr>', 'listen address (default 127.0.0.1)')
      .option('--allow <export=ids>', 'only these clients may open EXPORT: psk:<identity> or IP address, comma-separated (repeatable)', collect, [])
      .option('--read-only-for <export=ids>', 'EXPORT is read-only for these clients (same forms as --allow; repeatable)', collect, [])
      .option('-v, --verbose', 'log connections and options to stderr')
      .action(lazy(ctx, async () => {
        const { serveUntilSignal } = await import('../../bridge/serve-cli.ts');
        return (c, opts: ServeCliOptions) => serveUntilSignal(opts, { out: c.io.stdout, err: c.io.stderr });
      }));
  },
};

/** Standalone registration (outside main's shared context). */
export function register(program: Command): void {
  serveCommand.register(program, createContext());
}
