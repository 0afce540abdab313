import type { FastifyReply } from 'fastify';

/** Answers that hold project data are never kept by the browser or a proxy: the next caller may see less. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').type('application/json');
}
