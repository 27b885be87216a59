/**
 * OpenTelemetry, with OpenTelemetry's own SDK and in-memory exporters against the sandbox: a client
 * span per HTTP attempt by the HTTP client conventions (and its `traceparent` at the server), a span
 * per sync and invitation run, the metrics; and a PHI canary over every span name, attribute, event,
 * status and metric label.
 */
import { execFileSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  FileInvitationLedger,
  MedfusionClient,
  MemoryCheckpointStore,
  type ClientOptions,
} from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fullInvite } from './helpers/fixtures';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new TestReader();
const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
const meterProvider = new MeterProvider({ readers: [reader] });

/** Forwards to the sandbox and keeps each request's `traceparent`. */
let relay: Server;
let relayUrl: string;
const traceparents: (string | undefined)[] = [];
let sb: Sandbox;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  sb = await startSandbox({ seed: 21 });
  const target = new URL(sb.url);
  relay = createServer((req, res) => {
    const header = req.headers.traceparent;
    traceparents.push(typeof header === 'string' ? header : undefined);
    const out = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => relay.close(r));
  await sb.close();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => {
  spans.reset();
  traceparents.length = 0;
});

const client = (extra: Partial<ClientOptions> = {}) =>
  new MedfusionClient({
    baseUrl: relayUrl,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
    retryBackoff: { initialDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  });

const named = (name: string): ReadableSpan[] =>
  spans.getFinishedSpans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = named(name);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
};

async function collect(): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

/** Every data point of a metric of ours, with its attributes and value (sum, count or gauge value). */
async function points(
  name: string,
): Promise<{ attributes: Record<string, unknown>; value: number; count?: number }[]> {
  const rm = await collect();
  const scope = rm.scopeMetrics.find((s) => s.scope.name === 'medfusion-patient-sdk');
  const metric = scope?.metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => {
    const v = p.value as number | { count: number; sum?: number };
    return typeof v === 'number'
      ? { attributes: p.attributes, value: v }
      : { attributes: p.attributes, value: v.sum ?? 0, count: v.count };
  });
}

describe('telemetry', () => {
  test('a sync is a span; each HTTP attempt a client span under it, by the HTTP conventions; the trace reaches the server', async () => {
    sb.seedRegisteredPatients(150);
    const result = await client().patients.sync({
      checkpoint: new MemoryCheckpointStore(),
      onPage: async () => undefined,
    });
    expect(result.patients).toBe(150);

    const sync = one('medfusion.sync');
    expect(sync.attributes).toEqual({
      'medfusion.practice.id': sb.practiceId,
      'medfusion.sync.delivery': 'at-least-once',
      'medfusion.sync.pages': result.pages,
      'medfusion.sync.patients': 150,
      'medfusion.sync.quarantined': 0,
      'medfusion.sync.uncheckpointed_pages': 0,
    });
    expect(sync.status.code).toBe(0); // UNSET: no error

    const gets = named('GET /v2/practice/{practiceId}/patient');
    expect(gets).toHaveLength(result.pages);
    const port = Number(new URL(relayUrl).port);
    for (const get of gets) {
      expect(get.kind).toBe(2); // CLIENT
      expect(get.parentSpanContext?.spanId).toBe(sync.spanContext().spanId);
      expect(get.spanContext().traceId).toBe(sync.spanContext().traceId);
      expect(get.attributes).toEqual({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': port,
        'url.scheme': 'http',
        'url.template': '/v2/practice/{practiceId}/patient',
        'url.full': `http://127.0.0.1:${port}/v2/practice/${sb.practiceId}/patient`,
        'http.response.status_code': 200,
      });
    }
    // The token request is a span too (under the sync: it was fetched for its first page).
    const token = one('POST /v1/oauth2/token');
    expect(token.attributes['http.response.status_code']).toBe(200);
    expect(token.spanContext().traceId).toBe(sync.spanContext().traceId);

    // Every request carried its own span's context to the server.
    const sent = [token, ...gets].map(
      (s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`,
    );
    expect(traceparents.sort()).toEqual(sent.sort());
  });

  test('a retried request is one span per attempt: resend count, error.type of the failure, the retry counted', async () => {
    const c = client();
    await c.patients.getUpdatedPatients(); // a token first, so the faults meet the feed
    const retriesBefore = (await points('medfusion.client.retries')).reduce(
      (n, p) => n + p.value,
      0,
    );
    spans.reset();
    sb.injectFaults({ count503: 2 });
    await c.patients.getUpdatedPatients();
    const gets = named('GET /v2/practice/{practiceId}/patient');
    expect(gets.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(gets.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(gets.map((s) => s.attributes['error.type'])).toEqual(['503', '503', undefined]);
    expect(gets.map((s) => s.status.code)).toEqual([2, 2, 0]);
    const retries = await points('medfusion.client.retries');
    expect(retries.reduce((n, p) => n + p.value, 0) - retriesBefore).toBe(2);
    expect(retries.find((p) => p.attributes['error.type'] === '503')?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'error.type': '503',
      'url.template': '/v2/practice/{practiceId}/patient',
    });
  });

  test('a failed sync ends its span as an error, with the class of the failure', async () => {
    const c = client({ maxRetries: 0 });
    await c.patients.getUpdatedPatients();
    spans.reset();
    sb.injectFaults({ count503: 1 });
    await expect(
      c.patients.sync({ checkpoint: new MemoryCheckpointStore(), onPage: async () => undefined }),
    ).rejects.toThrow();
    const sync = one('medfusion.sync');
    expect(sync.status.code).toBe(2);
    expect(sync.status.message).toBeUndefined();
    expect(sync.attributes['error.type']).toBe('InternalServerError');
    expect(sync.events).toEqual([]); // no exception event: its message could carry anything
  });

  test('request durations are recorded per attempt, with the same attributes as the spans', async () => {
    const before = await points('http.client.request.duration');
    const countOf = (ps: typeof before) => ps.reduce((n, p) => n + (p.count ?? 0), 0);
    await client().patients.getUpdatedPatients();
    const after = await points('http.client.request.duration');
    expect(countOf(after) - countOf(before)).toBe(spans.getFinishedSpans().length);
    const feed = after.find(
      (p) =>
        p.attributes['url.template'] === '/v2/practice/{practiceId}/patient' &&
        p.attributes['http.response.status_code'] === 200,
    );
    expect(feed?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(relayUrl).port),
      'url.scheme': 'http',
      'url.template': '/v2/practice/{practiceId}/patient',
      'http.response.status_code': 200,
    });
  });

  test('an invitation run is a span with its report; patients counted by result', async () => {
    const ledger = new FileInvitationLedger(join(mkdtempSync(join(tmpdir(), 'otel-')), 'ledger'));
    const invites = [1, 2, 3].map((i) =>
      fullInvite({ practicePatientId: `OTEL-${i}`, accountNumber: `A-${i}` }),
    );
    const c = client();
    await c.patients.invitePatients(invites, { ledger });
    await c.patients.invitePatients(invites, { ledger }); // all three already accepted
    const runs = named('medfusion.invitations');
    expect(runs.map((r) => r.attributes)).toEqual([
      {
        'medfusion.practice.id': sb.practiceId,
        'medfusion.invitation.patients': 3,
        'medfusion.invitation.ledger': true,
        'medfusion.invitation.sent': 3,
        'medfusion.invitation.already_accepted': 0,
        'medfusion.invitation.changed': 0,
        'medfusion.invitation.unknown_resent': 0,
      },
      {
        'medfusion.practice.id': sb.practiceId,
        'medfusion.invitation.patients': 3,
        'medfusion.invitation.ledger': true,
        'medfusion.invitation.sent': 0,
        'medfusion.invitation.already_accepted': 3,
        'medfusion.invitation.changed': 0,
        'medfusion.invitation.unknown_resent': 0,
      },
    ]);
    const posts = named('POST /v2/practice/{practiceId}/patient');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.parentSpanContext?.spanId).toBe(runs[0]?.spanContext().spanId);
    const counted = await points('medfusion.invitation.patients');
    const by = (r: string) =>
      counted.find((p) => p.attributes['medfusion.invitation.result'] === r)?.value;
    expect(by('sent')).toBeGreaterThanOrEqual(3);
    expect(by('already-accepted')).toBeGreaterThanOrEqual(3);
  });

  test('PHI canary: no patient value, credential, token, cursor or query in any span or metric', async () => {
    spans.reset();
    const c = client({ credentials: { ...sb.credentials } });
    const invite = fullInvite();
    const job = await c.patients.invitePatient(invite);
    await c.batches.waitForCompletion(job, { minDelayMs: 10 });
    sb.registerPatient(invite.practicePatientId);
    const checkpoint = new MemoryCheckpointStore();
    await c.patients.sync({ checkpoint, onPage: async () => undefined });
    sb.injectFaults({ count503: 1, count429: 1, retryAfterSeconds: 0 });
    await c.patients.getUpdatedPatients({ since: (await checkpoint.load()) ?? undefined });
    await c.patients.cancelInvitation([invite.practicePatientId]);

    const cursor = (await checkpoint.load()) as string;
    const canaries = [
      'PPID-CANARY-7731',
      'ACCT-CANARY-5521',
      'Zebulon',
      'Quixote',
      'Canary-Smith',
      '1961-02-28',
      '987654329',
      'zebulon.canary@example.test',
      'Canary Wharf',
      '27513',
      '9195550111',
      'Elsie',
      sb.credentials.clientSecret,
      sb.credentials.password,
      sb.credentials.username,
      cursor,
      'since=',
      'max=',
      'Bearer',
      'Basic',
    ];
    const dump = JSON.stringify({
      spans: spans.getFinishedSpans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        links: s.links,
        status: s.status,
      })),
      metrics: (await collect()).scopeMetrics.map((sm) =>
        sm.metrics.map((m) => ({
          name: m.descriptor.name,
          attributes: m.dataPoints.map((p) => p.attributes),
        })),
      ),
    });
    expect(spans.getFinishedSpans().length).toBeGreaterThan(5);
    for (const canary of canaries)
      expect({ canary, found: dump.includes(canary) }).toEqual({ canary, found: false });
  });

  test('telemetry: false reports nothing', async () => {
    spans.reset();
    const before = await points('http.client.request.duration');
    const countOf = (ps: typeof before) => ps.reduce((n, p) => n + (p.count ?? 0), 0);
    const c = client({ telemetry: false });
    await c.patients.getUpdatedPatients();
    expect(spans.getFinishedSpans()).toEqual([]);
    expect(traceparents.every((t) => t === undefined)).toBe(true);
    expect(countOf(await points('http.client.request.duration'))).toBe(countOf(before));
  });
});

describe('telemetry beside OpenTelemetry HTTP auto-instrumentation', () => {
  interface Exported {
    name: string;
    kind: number;
    scope: string;
    spanId: string;
    parentSpanId?: string;
  }
  const run = (...args: string[]): Exported[] =>
    JSON.parse(
      execFileSync(process.execPath, [join(__dirname, 'scripts', 'otel-http.cjs'), ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      }),
    ) as Exported[];
  const CLIENT = 2;
  const SERVER = 1;

  test('one client span per request (ours): the auto-instrumentation is suppressed inside it; the server continues our trace', () => {
    const spans = run();
    const clients = spans.filter((s) => s.kind === CLIENT);
    const servers = spans.filter((s) => s.kind === SERVER);
    expect(clients.map((s) => `${s.scope} ${s.name}`)).toEqual([
      'medfusion-patient-sdk POST /v1/oauth2/token',
      'medfusion-patient-sdk GET /v2/practice/{practiceId}/patient',
      'medfusion-patient-sdk GET /v2/practice/{practiceId}/patient',
    ]);
    // The sandbox's server spans (the auto-instrumentation of node:http) are children of ours.
    expect(servers).toHaveLength(3);
    expect(servers.map((s) => s.parentSpanId).sort()).toEqual(clients.map((s) => s.spanId).sort());
  });

  test('control: with telemetry off, the auto-instrumentation makes the client spans', () => {
    const clients = run('telemetry=off').filter((s) => s.kind === CLIENT);
    expect(clients.map((s) => s.scope)).toEqual(
      Array(3).fill('@opentelemetry/instrumentation-http'),
    );
  });
});
