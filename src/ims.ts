// The access token: minted from IMS with client credentials (OAuth Server-to-Server), or given.
// One token per step in the normal case; a new one only when Platform says the old one expired.
import { z } from 'zod';
import type { HttpClient } from './http.js';
import { excerpt, inert, parseJson } from './untrusted.js';

/** How the step gets its token: minted from a client secret, or given. */
export type Credentials =
  { kind: 'client-secret'; clientSecret: string; scopes: string } | { kind: 'access-token'; accessToken: string };

export interface TokenSource {
  /** The token to use now (minted on first call). */
  current(signal?: AbortSignal): Promise<string>;
  /** Called after Platform rejected `rejected` with 401: a new token, or an AuthError. */
  renew(rejected: string, signal?: AbortSignal): Promise<string>;
  /** How many tokens were minted in this step. */
  readonly minted: number;
}

/** IMS refused the credentials, or a given token is no longer accepted. */
export class AuthError extends Error {
  override name = 'AuthError';
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().optional(),
});
const imsError = z.object({ error: z.string().optional(), error_description: z.string().optional() });

export interface TokenSourceOptions {
  credentials: Credentials;
  clientId: string;
  imsUrl: string;
  http: HttpClient;
  /** Masks and remembers a secret the moment it exists. */
  addSecret: (value: string) => void;
}

export function tokenSource(options: TokenSourceOptions): TokenSource {
  const { credentials } = options;
  if (credentials.kind === 'access-token') return givenToken(credentials.accessToken);
  // The token request sends the secret form-encoded; a service that echoes the form echoes that spelling.
  for (const spelling of spellingsOf(credentials.clientSecret)) options.addSecret(spelling);
  return mintedTokens(options, credentials.clientSecret, credentials.scopes);
}

/** A secret as it is, and as a form or a URL encodes it. */
function spellingsOf(secret: string): string[] {
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, form, encodeURIComponent(secret)])];
}

function givenToken(token: string): TokenSource {
  return {
    minted: 0,
    current: () => Promise.resolve(token),
    renew: () =>
      Promise.reject(
        new AuthError(
          "Platform rejected the 'access-token' (401): it has expired or was revoked. Pass a fresh token, " +
            "or pass 'client-secret' instead so the action mints its own.",
        ),
      ),
  };
}

function mintedTokens(options: TokenSourceOptions, clientSecret: string, scopes: string): TokenSource {
  let token: Promise<string> | undefined;
  let minted = 0;
  const mint = async (signal?: AbortSignal): Promise<string> => {
    const value = await requestToken(options, clientSecret, scopes, signal);
    options.addSecret(value);
    minted += 1;
    return value;
  };
  return {
    get minted() {
      return minted;
    },
    current(signal) {
      token ??= mint(signal);
      return token;
    },
    async renew(rejected, signal) {
      // Several callers may see the same 401: only the first mints a new token.
      if ((await token) === rejected) token = mint(signal);
      return token!;
    },
  };
}

async function requestToken(
  options: TokenSourceOptions,
  clientSecret: string,
  scopes: string,
  signal?: AbortSignal,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: options.clientId,
    client_secret: clientSecret,
    scope: scopes,
  });
  const res = await options.http.send({
    method: 'POST',
    url: `${options.imsUrl}/ims/token/v3`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    // Asking IMS again is harmless: a lost answer only costs a token nobody uses.
    retry: 'idempotent',
    signal,
  });
  const json = parseJson(res.text);
  if (res.status !== 200) {
    const body = imsError.safeParse(json);
    const detail =
      body.success && (body.data.error || body.data.error_description)
        ? [body.data.error, body.data.error_description]
            .filter(Boolean)
            .map((t) => inert(t))
            .join(': ')
        : excerpt(res.text);
    const hint =
      res.status === 400 || res.status === 401
        ? " Check 'client-id', 'client-secret' and 'scopes' against the project's OAuth Server-to-Server credential."
        : '';
    throw new AuthError(`IMS refused to issue an access token (HTTP ${res.status}): ${detail}.${hint}`);
  }
  const answer = tokenAnswer.safeParse(json);
  if (!answer.success) {
    // Name the keys, never the values: a malformed answer may still hold a token.
    const keys =
      json && typeof json === 'object'
        ? Object.keys(json)
            .map((k) => inert(k, 40))
            .join(', ')
        : 'not JSON';
    throw new AuthError(`IMS answered ${res.status} without an access token (answer keys: ${keys || 'none'})`);
  }
  return answer.data.access_token;
}
