import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { createConsoleRouter } from '../../../src/console/console-router';

describe('the console\'s address without its trailing slash', () => {
  let server: Server;
  let base: string;

  before(async () => {
    server = express().use('/console', createConsoleRouter()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const location = async (path: string): Promise<[number, string | null]> => {
    const answer = await fetch(`${base}${path}`, { redirect: 'manual' });
    await answer.body?.cancel();
    return [answer.status, answer.headers.get('location')];
  };

  it('redirects to /console/ keeping the query: an identity provider sending the sign-in code to a redirect URI without the slash still delivers it', async () => {
    expect(await location('/console')).to.deep.equal([301, '/console/']);
    expect(await location('/console?code=c-1&state=s-1&iss=https%3A%2F%2Fidp.example.com')).to.deep.equal([301, '/console/?code=c-1&state=s-1&iss=https%3A%2F%2Fidp.example.com']);
    expect(await location('/console?error=access_denied&state=s-2')).to.deep.equal([301, '/console/?error=access_denied&state=s-2']);
  });

  it('the redirect stays on this site whatever the query holds', async () => {
    const [status, to] = await location('/console?next=//evil.example/x');
    expect(status).to.equal(301);
    expect(to?.startsWith('/console/?')).to.equal(true);
    expect(new URL(to ?? '', base).origin).to.equal(base);
  });
});
