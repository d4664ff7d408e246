/**
 * `npm run --silent mcp` (stdio) or `npm run --silent mcp -- --http`: the automation server.
 * On stdio, stdout carries protocol frames only: everything else (console.log included) goes to stderr.
 * Wrong settings, wrong credentials or an unreachable server at start: one sentence on stderr, exit 1.
 * SIGINT, SIGTERM or (stdio) stdin closing stop it within 3 s, the outbox kept.
 */
import { ConfigError, readConfig } from './config';
import { type McpProcess, StartError, startMcp } from './process';

/** The most a stop may take before the process leaves anyway. */
const STOP_LIMIT_MS = 3000;

// Whatever a library prints must not corrupt the protocol channel.
console.log = console.error;
console.info = console.error;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main() {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) fail(`Parley MCP: ${error.message}`);
    throw error;
  }

  // Signals are heard from the start: one during sign-in stops the process as soon as it can.
  let mcp: McpProcess | null = null;
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Parley MCP: stopping (${why})\n`);
    const limit = setTimeout(() => {
      process.stderr.write('Parley MCP: the stop took too long; leaving now.\n');
      process.exit(0);
    }, STOP_LIMIT_MS);
    limit.unref();
    if (!mcp) return; // started below, then stopped at once
    mcp.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Parley MCP: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  if (config.transport === 'stdio') {
    // The stdio entry has no close event of its own: the client closing our stdin is the end.
    process.stdin.once('end', () => stop('stdin closed'));
    process.stdin.once('close', () => stop('stdin closed'));
  }

  try {
    mcp = await startMcp(config);
  } catch (error) {
    if (error instanceof StartError) fail(`Parley MCP: ${error.message}`);
    throw error;
  }
  if (stopping) {
    stopping = false;
    stop('asked to stop while starting');
    return;
  }

  if (mcp.url) {
    process.stderr.write(`Parley MCP listening on ${mcp.url}\n`);
    if (config.tokenGenerated)
      process.stderr.write(`Parley MCP token (send as Authorization: Bearer): ${config.token}\n`);
  } else {
    process.stderr.write(`Parley MCP serving ${config.username} on stdio\n`);
  }
}

main().catch((error: unknown) =>
  fail(`Parley MCP: ${error instanceof Error ? error.message : String(error)}`),
);
