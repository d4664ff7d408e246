/** The numbers of the contract (../shared/API.md): shared by the server, the mocks, the client and the UI. */

export const API_VERSION = 1;

/** Counts code points, not UTF-16 units: "4,000 characters" means what a person sees as characters. */
export const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

export const USERNAME_PATTERN = /^[a-z0-9_]{3,32}$/;
export const MESSAGE_MAX_CHARS = 4000;
export const CLIENT_ID_MAX_CHARS = 64;
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 500;
export const BODY_LIMIT_BYTES = 64 * 1024;
