// A real OpenID Connect provider for the tests and the demo: panva's certified
// oidc-provider (npm), on 127.0.0.1, with a sign-in page of its own.
//
//   PORT=9100 OIDC_CLIENTS='[...]' OIDC_ACCOUNTS='{...}' node bin/oidc_provider.mjs
//
// OIDC_CLIENTS: oidc-provider client metadata, e.g.
//   [{"client_id": "portal", "client_secret": "s3cret", "redirect_uris": ["http://127.0.0.1:8000/account/sso/county/login/callback/"]}]
// OIDC_ACCOUNTS: the people who can sign in, by what they type on the sign-in page:
//   {"asha@ashfield.sch.uk": {"email": "asha@ashfield.sch.uk", "email_verified": true,
//     "given_name": "Asha", "family_name": "Patel", "amr": ["pwd", "mfa"]}}
// An account may also "misbehave" so the tests can check the portal refuses it:
//   "audience": the ID token is signed properly but made out to another client;
//   "signature": the ID token is signed by a key the provider never published.
// ISSUER overrides the issuer (default http://127.0.0.1:PORT). It prints "ready <url>".

import crypto from 'node:crypto';
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9100);
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const KID = process.env.OIDC_KID || 'portal-test-key';

function rsaKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' };
}

const signingKey = rsaKey();
// Same kid, different key: what a forger who copied the header would sign with.
const forgerKey = rsaKey();

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...c,
  })),
  jwks: { keys: [signingKey] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const { amr, misbehave, ...claims } = account;
        return { sub: id, name: `${claims.given_name || ''} ${claims.family_name || ''}`.trim(), ...claims };
      },
    };
  },
  claims: {
    acr: null,
    amr: null,
    auth_time: null,
    sid: null,
    openid: ['sub', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  scopes: ['openid', 'email', 'profile'],
  // The ID token carries the email claims itself (the portal reads it, signature checked).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'given_name', 'family_name', 'name']);
    await grant.save();
    return grant;
  },
  pkce: { required: () => false },
  ttl: { Session: 600, Interaction: 600, Grant: 600 },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Error</title></head><body><main><h1>Error</h1><p>${escape(out.error)}: ${escape(out.error_description || '')}</p></main></body></html>`;
  },
});
provider.proxy = false;

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Misbehaving accounts: rewrite the ID token the token endpoint answers.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const misbehave = accounts[claims.sub]?.misbehave;
  if (!misbehave) return;
  const key = await jose.importJWK(misbehave === 'signature' ? forgerKey : signingKey, 'RS256');
  const payload = misbehave === 'audience' ? { ...claims, aud: 'some-other-client' } : claims;
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(key),
  };
});

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

// The sign-in page: whoever types a known login is signed in (a test provider).
async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('wrong interaction');
  if (req.method === 'POST') {
    const login = (await readForm(req)).get('login') || '';
    const account = accounts[login];
    if (!account) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page('Sign in to the test organisation', `<p role="alert">Unknown account</p>${form(uid)}`));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: login, amr: account.amr || ['pwd'] },
    }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(page('Sign in to the test organisation', form(uid)));
}

function form(uid) {
  return `<form method="post" action="/interaction/${uid}">
<label for="login">Email address</label> <input id="login" name="login" type="text" autocomplete="username">
<button type="submit">Continue</button></form>`;
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)$/);
  if (!match) return callback(req, res);
  try {
    await interaction(req, res, match[1]);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(err.message || err));
  }
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
