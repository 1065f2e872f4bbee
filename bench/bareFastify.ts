/**
 * The HTTP ceiling: Fastify answering `GET /` with a fixed JSON body (the bytes of a real listing
 * response), on WORKERS processes under node:cluster like the server. Started by bench/run.ts.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { clustered } from './lifecycle';

const workers = Number(process.env.WORKERS ?? '1');
const port = Number(process.env.PORT);

clustered(workers, () => {
  const body = readFileSync(process.env.BODY_FILE!);
  const app = Fastify({ logger: false });
  app.get('/', (_request, reply) => {
    reply.type('application/json; charset=utf-8').send(body);
  });
  app.listen({ host: '127.0.0.1', port }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
});
