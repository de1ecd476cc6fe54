/** The HTTP floor: fastify with empty GET and POST routes, in its own process. Usage: empty-fastify.ts PORT */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.get('/', async () => '');
app.post('/', async () => '');
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
process.stdout.write('ready\n');
