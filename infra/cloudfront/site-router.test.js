// Tests for site-router.js, run with Node's own test runner: node --test infra/cloudfront/
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const vm = require('node:vm');

const SOURCE_PATH = path.join(__dirname, 'site-router.js');
const SOURCE = fs.readFileSync(SOURCE_PATH, 'utf8');

// A bare context: only ECMAScript built-ins, like CloudFront's runtime (no require, no process).
function loadHandler() {
  const context = vm.createContext({});
  vm.runInContext(SOURCE, context, { filename: SOURCE_PATH });
  return context.handler;
}

const handler = loadHandler();

function viewerRequest(uri, { headers = {}, querystring = {} } = {}) {
  return {
    version: '1.0',
    context: { distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'r1' },
    viewer: { ip: '198.51.100.7' },
    request: { method: 'GET', uri, querystring, headers, cookies: {} },
  };
}

function acceptLanguage(value) {
  return { 'accept-language': { value } };
}

test('the source fits CloudFront Functions\' 10 KB limit', () => {
  assert.ok(Buffer.byteLength(SOURCE) < 10 * 1024);
});

test('/ redirects to the language the visitor prefers', () => {
  const cases = [
    ['de-DE,de;q=0.9,en;q=0.8', '/de/'],
    ['pl', '/pl/'],
    ['fr-FR, fr;q=0.9, pl;q=0.5, en;q=0.3', '/pl/'],
    ['en;q=0.5, de;q=0.9', '/de/'],
    ['pl, de', '/pl/'],
    ['DE-at', '/de/'],
    ['de;q=0, pl;q=0.1', '/pl/'],
    ['de;q=0', '/en/'],
    ['fr, it', '/en/'],
    ['*', '/en/'],
    [';;,,=', '/en/'],
    ['de;q=abc, pl;q=0.2', '/pl/'],
  ];
  for (const [header, location] of cases) {
    const response = handler(viewerRequest('/', { headers: acceptLanguage(header) }));
    assert.equal(response.statusCode, 302, header);
    assert.equal(response.headers.location.value, location, header);
  }
});

test('/ without Accept-Language goes to the default language', () => {
  const response = handler(viewerRequest('/'));
  assert.equal(response.statusCode, 302);
  assert.equal(response.headers.location.value, '/en/');
});

test('the language redirect varies by Accept-Language and is not kept by browsers', () => {
  const response = handler(viewerRequest('/', { headers: acceptLanguage('de') }));
  assert.equal(response.headers.vary.value, 'Accept-Language');
  assert.equal(response.headers['cache-control'].value, 'private, no-cache');
});

test('redirects keep the query string as received', () => {
  const querystring = {
    utm_source: { value: 'poster' },
    tag: { value: 'a', multiValue: [{ value: 'a' }, { value: 'b%20c' }] },
    flag: { value: '' },
  };
  const response = handler(viewerRequest('/', { headers: acceptLanguage('pl'), querystring }));
  assert.equal(response.headers.location.value, '/pl/?utm_source=poster&tag=a&tag=b%20c&flag');
  const slash = handler(viewerRequest('/de/ask', { querystring: { x: { value: '1' } } }));
  assert.equal(slash.headers.location.value, '/de/ask/?x=1');
});

test('a directory path gets its index.html', () => {
  for (const uri of ['/de/', '/en/stories/alice-almeida/', '/pl/ask/thanks/']) {
    const request = handler(viewerRequest(uri));
    assert.equal(request.statusCode, undefined, uri);
    assert.equal(request.uri, uri + 'index.html');
    assert.equal(request.method, 'GET');
  }
});

test('a path without a trailing slash or extension redirects permanently to the slash form', () => {
  for (const uri of ['/de', '/en/stories/alice-almeida', '/pl/ask/thanks']) {
    const response = handler(viewerRequest(uri));
    assert.equal(response.statusCode, 301, uri);
    assert.equal(response.headers.location.value, uri + '/');
  }
});

test('files pass through unchanged', () => {
  for (const uri of ['/static/site.3f9a2c1d.css', '/de/404.html', '/sitemap.xml', '/en/feed.xml']) {
    const request = handler(viewerRequest(uri));
    assert.equal(request.uri, uri);
    assert.equal(request.statusCode, undefined);
  }
});

test('paths that would redirect to another host are left for the origin to refuse', () => {
  for (const uri of ['//evil.example/x', '/de//evil.example/x', '/\\evil.example/x']) {
    const request = handler(viewerRequest(uri));
    assert.equal(request.statusCode, undefined, uri);
    assert.equal(request.uri, uri);
  }
});

test('the request passes on with its headers and query string', () => {
  const event = viewerRequest('/en/ask/', {
    headers: acceptLanguage('pl'),
    querystring: { errors: { value: 'message.too_short' } },
  });
  const request = handler(event);
  assert.equal(request.uri, '/en/ask/index.html');
  assert.equal(request.headers['accept-language'].value, 'pl');
  assert.equal(request.querystring.errors.value, 'message.too_short');
});
