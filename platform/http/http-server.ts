/**
 * The type of the fastify instance every service builds on (`createHttpServer`, server.ts). It
 * lives apart from server.ts so the plugins server.ts registers (cors, metrics, rate limits,
 * security headers) can name it without importing the module that imports them.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';

export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>;
