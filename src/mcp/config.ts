/**
 * The automation server's settings, from the environment and the command line. A bad value is one clear
 * sentence (the caller prints it on stderr and exits 1), never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { UsernameInput } from '../contract';

export interface McpConfig {
  baseUrl: string;
  username: string;
  password: string;
  /** This user's data folder: `PARLEY_DATA_DIR/<username>`. */
  dataDir: string;
  transport: 'stdio' | 'http';
  port: number;
  token: string;
  /** Whether the token was made here (and so must be printed for the person to use). */
  tokenGenerated: boolean;
  tracePath: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): McpConfig {
  const unknown = argv.filter((a) => a !== '--http' && a !== '--stdio');
  if (unknown.length > 0)
    throw new ConfigError(`Unknown option ${unknown[0]}: use --http, or nothing for stdio.`);
  const baseUrl = env.PARLEY_URL?.trim() || 'http://127.0.0.1:8080';
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new ConfigError(`PARLEY_URL must be an http(s) URL, not ${JSON.stringify(baseUrl)}.`);
  }
  if (!env.PARLEY_USERNAME)
    throw new ConfigError('Set PARLEY_USERNAME (and PARLEY_PASSWORD) to the Parley account to act as.');
  const username = v.safeParse(UsernameInput, env.PARLEY_USERNAME);
  if (!username.success) throw new ConfigError(`PARLEY_USERNAME: ${username.issues[0].message}`);
  if (!env.PARLEY_PASSWORD) throw new ConfigError('Set PARLEY_PASSWORD to the password of PARLEY_USERNAME.');
  const portText = env.MCP_PORT?.trim() || '8765';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new ConfigError(
      `MCP_PORT must be a port number from 0 to 65535 (0 picks a free one), not ${portText}.`,
    );
  }
  const token = env.PARLEY_MCP_TOKEN?.trim() || '';
  if (token !== '' && token.length < 16)
    throw new ConfigError('PARLEY_MCP_TOKEN must be at least 16 characters.');
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    username: username.output,
    password: env.PARLEY_PASSWORD,
    dataDir: resolve(join(env.PARLEY_DATA_DIR?.trim() || join('data', 'mcp'), username.output)),
    transport: argv.includes('--http') ? 'http' : 'stdio',
    port,
    token: token || randomBytes(24).toString('base64url'),
    tokenGenerated: token === '',
    tracePath: env.PARLEY_TRACE?.trim() || null,
  };
}
