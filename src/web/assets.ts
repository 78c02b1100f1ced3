import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder of the console's CSS and client script. tsc copies no asset files into dist, so it
 * is found from the package root (the nearest folder with package.json), which is the same under
 * tsx (src/web) and the build (dist/src/web).
 */
export function assetsDir(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}: cannot find the console assets`);
    dir = up;
  }
  return path.join(dir, 'src', 'web', 'assets');
}
