// A static file server for the built site, as a static host serves it: hashed assets cached for a
// year, the page revalidated, .wasm as application/wasm (so it compiles while it downloads).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** Serves the files under `root` on a free port of 127.0.0.1 (or `port`). */
export async function serve(root, port = 0) {
  const server = createServer(async (request, response) => {
    let pathname = decodeURIComponent(new URL(request.url, "http://x").pathname);
    if (pathname.endsWith("/")) pathname += "index.html";
    const path = normalize(join(root, pathname));
    if (!path.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(path);
      const immutable = pathname.startsWith("/assets/");
      response
        .writeHead(200, {
          "content-type": types[extname(path)] ?? "application/octet-stream",
          "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        })
        .end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
