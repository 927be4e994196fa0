// Bundles the Uppy uploader from node_modules into static/vendor/uppy/ (no CDN at run time).
// Run `npm install` then `npm run build:uppy`; the built files are committed, so the site
// itself never needs Node. static/js/resumable.js uses the global `ContestUppy`.
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const out = "static/vendor/uppy";
// The page draws its own progress bar (speed, time left); no Uppy UI plugin is bundled.
const packages = ["core", "aws-s3"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { metafile } = await build({
  metafile: true,
  stdin: {
    contents: `
      import Uppy from "@uppy/core";
      import AwsS3 from "@uppy/aws-s3";
      window.ContestUppy = { Uppy, AwsS3 };
    `,
    resolveDir: process.cwd(),
    loader: "js",
  },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome90", "firefox90", "safari15", "ios15"],
  legalComments: "eof",
  outfile: `${out}/uppy.min.js`,
});


// Every package that ends up in the bundle, with its version and licence text.
const bundled = new Set(Object.keys(metafile.inputs)
  .map((path) => path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1]).filter(Boolean));
const notices = [...bundled].sort().map((name) => {
  const dir = `node_modules/${name}`;
  const meta = JSON.parse(readFileSync(`${dir}/package.json`, "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const text = file && existsSync(`${dir}/${file}`) ? readFileSync(`${dir}/${file}`, "utf8") : `License: ${meta.license}`;
  return `${name} ${meta.version} (${meta.license})\n\n${text.trim()}\n`;
});
writeFileSync(`${out}/LICENSES.txt`, notices.join("\n" + "-".repeat(72) + "\n\n"));
const versions = packages.map((p) => `@uppy/${p} ${require(`@uppy/${p}/package.json`).version}`);
writeFileSync(`${out}/VERSIONS`, versions.join("\n") + "\n");
console.log(`${versions.join(", ")} (+${bundled.size - packages.length} bundled packages) -> ${out}/`);
