import type { FastifyReply } from 'fastify';
import { feastErrorJson } from '../feast-response.js';

/** Why an action route answers 503 when the server was made without a Temporal client. */
export const NO_WORKFLOWS = 'This feature server starts no workflows: it was created without a Temporal client';

/** A UI route's error answer, in the shape every route of the server answers errors in. */
export function sendUiError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(feastErrorJson(status, error, message));
}
