// The HTTP endpoint Prometheus scrapes: GET /metrics, nothing else. Off unless `serve --metrics`
// asks for it, and on 127.0.0.1 unless told otherwise: the counters say how busy the server is and
// when people use it, which is nobody else's business.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsSource {
  scrape(): Promise<{ readonly body: string; readonly contentType: string }>;
}

export async function startMetricsEndpoint(host: string, port: number, source: MetricsSource): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    source.scrape().then(
      ({ body, contentType }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}
