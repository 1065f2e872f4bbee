/**
 * The HTTP ceiling: Fastify answering `GET /` with a fixed JSON body (the bytes of a real listing
 * response), on WORKERS processes under node:cluster like the server. Started by bench/run.ts.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const workers = Number(process.env.WORKERS ?? '1');
const port = Number(process.env.PORT);

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const body = readFileSync(process.env.BODY_FILE!);
  const app = Fastify({ logger: false });
  app.get('/', (_request, reply) => {
    reply.type('application/json; charset=utf-8').send(body);
  });
  app.listen({ host: '127.0.0.1', port }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
  // Stateless: nothing to drain, and keep-alive sockets of the load generator must not delay the exit.
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
