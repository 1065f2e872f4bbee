import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import {
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import jwt from 'jsonwebtoken';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { armor, errorCode, formatError } from '../apollo';
import type { Config } from '../config';
import { type AppDeps, contextAs, resolveViewer } from '../context';
import type { User } from '../entities';
import { QueryTooComplexError, UnauthenticatedError } from '../errors';
import { type Metrics, operationLabel } from '../metrics';
import { passwordChangeRefusal } from '../permissions/passwordChange';
import { Viewer } from '../viewer';
import type { LiveBus } from './bus';
import type { FeedGuard, LiveContext } from './feeds';
import { LiveHub } from './hub';
import type { LiveMessage, RevokeLiveMessage } from './messages';

/** Close codes: graphql-ws's 4401 for a missing, invalid, expired or ended session; RFC 6455's for the rest. */
const UNAUTHORIZED = 4401;
const GOING_AWAY = 1001;
/** The server cannot serve the socket now (its database is unreachable, or the client reads too slowly): reconnect later. */
const TRY_AGAIN_LATER = 1013;

/**
 * Bytes a socket may have queued unsent before it is closed as a slow consumer. Each subscription
 * sends one event at a time and waits for it to be written, so a socket reaches this only with
 * many subscriptions all stuck behind a client that stopped reading.
 */
export const MAX_SOCKET_BUFFER_BYTES = 1 << 20;
/** How long a socket closed for slowness or an ended session may take over its close handshake before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Most subscriptions one socket may have running (or starting) at once. A client needs a handful
 * (its inbox, a shop or two, the orders on screen); the cap bounds what one socket can hold of the
 * server: a context, a hub entry and a queue of up to SUBSCRIPTION_QUEUE_LIMIT events each. The
 * next subscribe is refused with TOO_MANY_SUBSCRIPTIONS before anything is parsed or allocated;
 * the socket stays open, and completing a subscription frees its place.
 */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;

/**
 * How often each socket re-checks, in the background, what it was granted: that its session is
 * still live (else the socket is closed with 4401: logout, password change or reset, a revoked
 * refresh family, a session past its end) and that each shop and order feed on it is still the
 * viewer's to watch (else that feed alone ends with NOT_FOUND: a member removed from the shop).
 * A re-check costs one indexed query per socket (session and user by primary key), plus, only when
 * its feeds need them, one for the viewer's memberships and one batched load of the orders watched.
 * Revoked sessions are also pushed at once over the bus (`revoke` messages), and so are changes of
 * what a user may see (`access` messages: a member removed or their role changed, staff roles
 * changed), on which that user's sockets re-check at once; the periodic re-check bounds how long
 * whatever the bus does not carry, or loses, keeps flowing. Never a query per event.
 * A socket's first re-check comes after a random half to whole interval, so that sockets opened
 * together (a reconnect storm) do not re-check together. Tests shorten it (LiveServerOptions).
 */
export const ACCESS_RECHECK_INTERVAL_MS = 30_000;

/**
 * How long a socket's proof of a live session (its sign-in, its last re-check or subscribe) serves
 * its subscribes without a query. A burst of subscribes (a client opening its feeds after
 * connecting) costs no session lookup; a subscribe later than this looks the session up once more
 * (one query, shared by the subscribes waiting for it). Revocations by this API are pushed at once
 * (`revoke` messages) and close the socket before any later subscribe; this bounds the window for
 * one the bus did not carry (a lost message, a session ended by hand in the database).
 */
export const SESSION_TRUST_MS = 5_000;

/** A subscribe over a socket already running MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions. */
export class TooManySubscriptionsError extends GraphQLError {
  constructor() {
    super(`A socket may run at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions at once: complete one first (or open another socket)`, {
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;

export interface LiveServerOptions {
  server: Server;
  schema: GraphQLSchema;
  config: Config;
  deps: AppDeps;
  orm: MikroORM;
  logger: Logger;
  metrics: Metrics;
  bus: LiveBus;
  /** How often each socket re-checks its session and its feeds' access: ACCESS_RECHECK_INTERVAL_MS unless given (tests shorten it). */
  recheckIntervalMs?: number;
  /** How long a socket's session check serves its subscribes: SESSION_TRUST_MS unless given (0: each subscribe checks). */
  sessionTrustMs?: number;
}

export interface LiveServer {
  hub: LiveHub;
  /** Refuses new sockets, closes open ones with 1001 (cut after a grace period) and leaves the bus. */
  close(): Promise<void>;
}

/** A running shop or order feed's access guard, and the context it runs in (whose viewer each re-check renews). */
interface Guarded {
  guard: FeedGuard;
  context: LiveContext;
}

/** What the server keeps of a socket, from its connection_init on (signing in, then signed in). */
interface Connection {
  socket: WebSocket;
  authorization: string;
  /** The token's subject and session, as claimed until `user` is set (verified). */
  userId: string;
  sessionId: string;
  /** The user as last verified, at sign-in and at each re-check: each subscribe's viewer is made from it. */
  user: User | undefined;
  /** When the session was last found live (Date.now()). */
  verifiedAt: number;
  /** The session check under way, shared by whoever needs it meanwhile (subscribes, the re-check). */
  verifying: Promise<Viewer> | undefined;
  ip: string;
  userAgent: string | undefined;
  log: Logger;
  /** Closes the socket with 4401 when the access token expires. */
  expiry: NodeJS.Timeout | undefined;
  /** The next re-check of the session and the feeds' access. */
  recheck: NodeJS.Timeout | undefined;
  /** The session is known to have ended: the socket is closing with 4401, and no subscribe is served. */
  ended: boolean;
  /** The socket has closed: nothing more is scheduled for it. */
  closed: boolean;
  /** Request id of each running operation, by its graphql-ws id: errors carry it, as over HTTP. */
  requestIds: Map<string, string>;
  /** The access guards of its running shop and order feeds (ended ones are dropped as they are seen). */
  guards: Set<Guarded>;
}

/**
 * A subscription refused before its first event (arguments, permissions): sent as graphql-ws's
 * `error` message, which ends the operation, rather than as a `next` carrying errors.
 */
class Refusal extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? 'Subscription refused');
  }
}

function refused(errors: readonly GraphQLError[]): AsyncIterableIterator<ExecutionResult> {
  return {
    next: () => Promise.reject(new Refusal(errors)),
    return: () => Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Errors graphql-js reports without a code get the one Apollo would give them, so formatError keeps them. */
function labelled(error: GraphQLError, code: string): GraphQLError {
  if (typeof error.extensions.code === 'string') return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, originalError: error.originalError, extensions: { ...error.extensions, code } });
}

/** The client's address: the socket's, or with TRUST_PROXY the first X-Forwarded-For entry, as Fastify reads it. */
function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return trustProxy && first ? first : (request.socket.remoteAddress ?? '');
}

/**
 * What the token in `authorization` claims, read without checking it (resolveViewer does that):
 * its subject and session, for finding the socket when that session is revoked, and its expiry.
 */
function claimsOf(authorization: string): { userId: string; sessionId: string; exp: number } | undefined {
  const token = BEARER.exec(authorization.trim())?.[1];
  const claims = token ? jwt.decode(token) : null;
  if (typeof claims !== 'object' || !claims || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return undefined;
  return { userId: claims.sub, sessionId: claims.sid, exp: typeof claims.exp === 'number' ? claims.exp : 0 };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

/**
 * GraphQL subscriptions over graphql-ws on the HTTP server's port, path /graphql. The access
 * token comes in `connection_init` (`{ authorization: "Bearer …" }`) and is checked like a request's
 * (signature, expiry, live session); a socket without a valid one is closed with 4401, and so is
 * one whose token expires, whose session is revoked (told at once by a `revoke` bus message) or
 * found ended by the periodic re-check (ACCESS_RECHECK_INTERVAL_MS). Each operation gets a
 * request-like context (its own em fork, a viewer made from the socket's verified user, loaders,
 * request id and logger) and the limits and error masking of HTTP requests; a socket runs at most
 * MAX_SUBSCRIPTIONS_PER_SOCKET at once. Only subscriptions are served here: queries and mutations
 * go over HTTP.
 */
export function startSubscriptions(opts: LiveServerOptions): LiveServer {
  const { server, schema, config, deps, orm, metrics, bus } = opts;
  const recheckIntervalMs = opts.recheckIntervalMs ?? ACCESS_RECHECK_INTERVAL_MS;
  const sessionTrustMs = opts.sessionTrustMs ?? SESSION_TRUST_MS;
  const log = opts.logger.child({ component: 'subscriptions' });
  const hub = new LiveHub();
  const rules = [...specifiedRules, ...armor(config).validationRules];
  const connections = new WeakMap<WebSocket, Connection>();
  /** Connections by user, signing in ones included: whom a `revoke` message is for. */
  const byUser = new Map<string, Set<Connection>>();
  let closing = false;
  let lastRecheckWarning = 0;

  const track = (connection: Connection) => {
    let set = byUser.get(connection.userId);
    if (!set) byUser.set(connection.userId, (set = new Set()));
    set.add(connection);
  };
  const untrack = (connection: Connection) => {
    const set = byUser.get(connection.userId);
    set?.delete(connection);
    if (set?.size === 0) byUser.delete(connection.userId);
  };

  /** Closes the socket of an ended session with 4401, cut if it does not finish the close handshake. */
  const closeUnauthorized = (socket: WebSocket) => {
    if (socket.readyState === socket.OPEN) {
      socket.close(UNAUTHORIZED, 'Unauthorized');
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }
  };

  const endSession = (connection: Connection, why: string) => {
    if (connection.ended) return;
    connection.ended = true;
    clearTimeout(connection.recheck);
    connection.log.debug(`${why}: closing the subscription socket`);
    closeUnauthorized(connection.socket);
  };

  /** Sessions ended somewhere (this process or another): their sockets close at once. */
  const revoke = (message: RevokeLiveMessage) => {
    const set = byUser.get(message.userId);
    if (!set) return;
    for (const connection of [...set]) {
      if (!message.sessionIds || message.sessionIds.includes(connection.sessionId)) endSession(connection, 'session revoked');
    }
  };

  /** What a user may see changed somewhere (this process or another): their sockets re-check their feeds now. */
  const accessChanged = (userId: string) => {
    for (const connection of byUser.get(userId) ?? []) {
      recheck(connection).catch((err: unknown) => connection.log.warn({ err }, 'could not re-check a socket’s feeds after a change of access; the periodic re-check will'));
    }
  };

  const leaveBus = bus.subscribe((message: LiveMessage) => {
    if (message.t === 'revoke') revoke(message);
    else if (message.t === 'access') accessChanged(message.userId);
    else hub.deliver(message);
  });

  /**
   * Looks the socket's session up again (one query: session and user by key): renews `user` (its
   * staff roles) and `verifiedAt`, or ends the socket when the session has ended (then rejects with
   * UNAUTHENTICATED). Whoever asks while a check is under way shares it.
   */
  const verify = (connection: Connection): Promise<Viewer> => {
    connection.verifying ??= resolveViewer(orm.em.fork(), config, connection.authorization)
      .then(
        (viewer) => {
          if (!viewer.user) throw new UnauthenticatedError();
          connection.user = viewer.user;
          connection.verifiedAt = Date.now();
          return viewer;
        },
        (err: unknown) => {
          if (err instanceof UnauthenticatedError) endSession(connection, 'session ended');
          throw err;
        },
      )
      .finally(() => (connection.verifying = undefined));
    return connection.verifying;
  };

  /**
   * Re-checks a socket's session (closing it with 4401 when it ended) and its feeds' access (ending
   * each one lost with NOT_FOUND). One fresh viewer serves all its feeds, so the memberships are
   * loaded once, and it becomes theirs: the shield checks of their next events see the roles of now.
   */
  const recheck = async (connection: Connection): Promise<void> => {
    let viewer: Viewer;
    try {
      viewer = await verify(connection);
    } catch (err) {
      if (err instanceof UnauthenticatedError) return;
      throw err;
    }
    if (connection.ended || connection.closed) return;
    for (const g of connection.guards) if (g.guard.ended) connection.guards.delete(g);
    const running = [...connection.guards];
    if (running.length === 0) return;
    const em = orm.em.fork();
    const ctx = { ...contextAs(deps, em, viewer, { requestId: randomUUID(), log: connection.log as FastifyBaseLogger }), ip: connection.ip, userAgent: connection.userAgent };
    const allowed = await Promise.all(running.map((g) => g.guard.allowed(ctx)));
    if (connection.ended || connection.closed) return;
    running.forEach((g, i) => {
      if (allowed[i]) {
        g.context.viewer = viewer;
      } else {
        connection.guards.delete(g);
        connection.log.debug('access lost: ending the subscription with NOT_FOUND');
        g.guard.revoke();
      }
    });
  };

  const scheduleRecheck = (connection: Connection, delayMs: number) => {
    if (connection.closed || connection.ended || closing) return;
    connection.recheck = setTimeout(() => {
      recheck(connection)
        .catch((err: unknown) => {
          // The database is unreachable: the socket keeps what it has, and tries again next interval.
          if (Date.now() - lastRecheckWarning < recheckIntervalMs) return;
          lastRecheckWarning = Date.now();
          log.warn({ err }, 'could not re-check subscription sockets’ sessions; trying again at the next interval');
        })
        .finally(() => scheduleRecheck(connection, recheckIntervalMs));
    }, delayMs);
    connection.recheck.unref();
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.bodyLimitBytes });
  wss.on('connection', (socket) => {
    metrics.liveSockets.inc();
    socket.once('close', () => metrics.liveSockets.dec());
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/graphql' || closing) {
      const status = closing ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  /** Closes a socket whose client does not read; cut if it does not finish the close handshake either. */
  const closeSlow = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    metrics.liveSlowConsumers.inc({ ended: 'socket' });
    connections.get(socket)?.log.warn({ bufferedBytes: socket.bufferedAmount }, 'closing a subscription socket whose client reads too slowly');
    socket.close(TRY_AGAIN_LATER, 'Slow consumer');
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };

  const unauthorized = (socket: WebSocket): false => {
    closeUnauthorized(socket);
    return false;
  };

  const format = (error: GraphQLError, payload: SubscribePayload, requestId: string | undefined, connection: Connection | undefined): GraphQLFormattedError => {
    const code = errorCode(error);
    metrics.errors.inc({ operation_name: operationLabel(payload.operationName), code });
    if (code === 'INTERNAL_SERVER_ERROR') (connection?.log ?? log).error({ err: error.originalError ?? error, path: error.path, requestId }, 'unexpected error in a subscription');
    const formatted = formatError(error.toJSON(), error);
    const message = config.isProduction ? formatted.message.replace(/ ?Did you mean ".+"\?/g, '').trim() : formatted.message;
    return { ...formatted, message, extensions: { ...formatted.extensions, ...(requestId ? { requestId } : {}) } };
  };

  const graphqlWs = useServer<Record<string, unknown>>(
    {
      schema,
      isProd: config.isProduction,
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string' || authorization.trim() === '') return unauthorized(socket);
        const claims = claimsOf(authorization);
        if (!claims) return unauthorized(socket);
        // Findable by a `revoke` message from now on: a session revoked while it is being checked is not missed.
        const connection: Connection = {
          socket,
          authorization,
          userId: claims.userId,
          sessionId: claims.sessionId,
          user: undefined,
          verifiedAt: 0,
          verifying: undefined,
          ip: clientIp(request, config.trustProxy),
          userAgent: request.headers['user-agent'],
          log: log.child({ socketId: randomUUID(), userId: claims.userId }),
          expiry: undefined,
          recheck: undefined,
          ended: false,
          closed: false,
          requestIds: new Map(),
          guards: new Set(),
        };
        connections.set(socket, connection);
        track(connection);
        let viewer: Viewer;
        try {
          viewer = await resolveViewer(orm.em.fork(), config, authorization);
        } catch (err) {
          untrack(connection);
          if (err instanceof UnauthenticatedError) return unauthorized(socket);
          log.warn({ err }, 'could not check a subscription socket’s session');
          socket.close(TRY_AGAIN_LATER, 'Try again later');
          return false;
        }
        if (!viewer.user || connection.ended || connection.closed) {
          untrack(connection);
          return unauthorized(socket);
        }
        connection.user = viewer.user;
        connection.verifiedAt = Date.now();
        connection.expiry = setTimeout(() => endSession(connection, 'access token expired'), Math.max(0, claims.exp * 1000 - Date.now()));
        connection.expiry.unref();
        scheduleRecheck(connection, recheckIntervalMs * (0.5 + Math.random() / 2));
        return true;
      },

      async onSubscribe(ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const { socket } = ctx.extra;
        const connection = connections.get(socket);
        if (!connection?.user) return [new UnauthenticatedError()];
        // graphql-ws has already entered this one: more than the cap means one too many.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) return [new TooManySubscriptionsError()];
        // The session is known live if checked lately (revocations are pushed: see SESSION_TRUST_MS); else it is checked now.
        if (!connection.ended && Date.now() - connection.verifiedAt > sessionTrustMs) {
          try {
            await verify(connection);
          } catch (err) {
            if (!(err instanceof UnauthenticatedError)) return [new GraphQLError('Could not start the subscription', { originalError: err as Error })];
          }
        }
        // The session ended since the socket opened (logout, password change): the socket goes too.
        if (connection.ended) {
          closeUnauthorized(socket);
          return [new UnauthenticatedError('Session has ended; sign in again', 401)];
        }
        const user = connection.user;
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          if (err instanceof GraphQLError) return [labelled(err, 'GRAPHQL_PARSE_FAILED')];
          // graphql-js parses recursively: a document nested deep enough overflows the stack.
          return [new QueryTooComplexError('The document is nested too deeply')];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) return invalid.map((e) => labelled(e, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Name the operation to run', { extensions: { code: 'BAD_REQUEST' } })];
        if (operation.operation !== 'subscription') {
          return [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        // Risk control asked for a password change: no feed until it is done (as over HTTP, src/apollo.ts).
        const refusal = passwordChangeRefusal(user, document, operation);
        if (refusal) return [refusal];
        const requestId = randomUUID();
        const requestLog = connection.log.child({ requestId, operationName: payload.operationName ?? undefined });
        // The viewer is made from the socket's verified user (no session lookup); its memberships are
        // its own, loaded fresh when a feed asks for them.
        const em = orm.em.fork();
        const context: LiveContext = {
          ...contextAs(deps, em, new Viewer(em, user, connection.sessionId), { requestId, log: requestLog as FastifyBaseLogger }),
          ip: connection.ip,
          userAgent: connection.userAgent,
        };
        context.live = {
          hub,
          onOverflow: () => {
            metrics.liveSlowConsumers.inc({ ended: 'subscription' });
            requestLog.warn('ended a subscription whose client reads too slowly (SLOW_CONSUMER)');
          },
          guard: (guard) => {
            for (const g of connection.guards) if (g.guard.ended) connection.guards.delete(g);
            if (!connection.closed) connection.guards.add({ guard, context });
          },
        };
        connection.requestIds.set(id, requestId);
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
      },

      onOperation(_ctx, _id, _payload, _args, result) {
        // graphql-js answers a subscription that failed to start (bad variables, a refused feed) with a plain result.
        if (!isAsyncIterable(result)) return refused((result as ExecutionResult).errors ?? [new GraphQLError('Subscription refused')]);
      },

      onNext(ctx, id, payload, _args, result) {
        const { socket } = ctx.extra;
        if (socket.bufferedAmount > MAX_SOCKET_BUFFER_BYTES) closeSlow(socket);
        if (!result.errors) return;
        const connection = connections.get(socket);
        return { ...result, errors: result.errors.map((e) => format(e, payload, connection?.requestIds.get(id), connection)) };
      },

      onError(ctx, id, payload, errors) {
        const connection = connections.get(ctx.extra.socket);
        const requestId = connection?.requestIds.get(id);
        const all = errors.flatMap((e) => (e.originalError instanceof Refusal ? e.originalError.errors : [e]));
        return all.map((e) => format(e, payload, requestId, connection));
      },

      onComplete(ctx, id) {
        const connection = connections.get(ctx.extra.socket);
        if (!connection) return;
        connection.requestIds.delete(id);
        for (const g of connection.guards) if (g.guard.ended) connection.guards.delete(g);
      },

      onClose(ctx) {
        const connection = connections.get(ctx.extra.socket);
        if (connection) {
          connection.closed = true;
          clearTimeout(connection.expiry);
          clearTimeout(connection.recheck);
          connection.guards.clear();
          untrack(connection);
        }
        connections.delete(ctx.extra.socket);
      },
    },
    wss,
  );

  return {
    hub,
    async close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      leaveBus();
      const open = [...wss.clients];
      await Promise.all(
        open.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once('close', () => resolve());
              socket.close(GOING_AWAY, 'Server shutting down');
              setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
            }),
        ),
      );
      hub.close();
      await graphqlWs.dispose();
    },
  };
}
