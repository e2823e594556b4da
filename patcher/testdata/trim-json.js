// trim-json.js makes the committed fixtures of the newer catalog formats
// from the published files, cut down to a few models and re-serialized the
// way the packages serialize them (checked: the published files are
// exactly JSON.stringify(x) + "\n"; the 0.80 module is cut line by line,
// byte for byte).
//
//   node trim-json.js provider-json   .../pi-ai/dist/providers/data/anthropic.json > pi-ai-1.6.1.anthropic.json
//   node trim-json.js provider-js     .../pi-ai/dist/providers/anthropic.models.js > pi-ai-0.80.3.anthropic.models.js
const fs = require("fs");
const [kind, file] = process.argv.slice(2);
const src = fs.readFileSync(file, "utf8");
const first = (obj, n) => Object.fromEntries(Object.entries(obj).slice(0, n));
if (kind === "provider-json") {
	let d = JSON.parse(src);
	if (typeof Object.values(d)[0].provider === "string") d = first(d, 3); // 0.81: models at the top
	else for (const api of Object.keys(d)) d[api] = first(d[api], 3);
	process.stdout.write(JSON.stringify(d) + "\n");
} else if (kind === "provider-js") {
	const out = [];
	let models = 0;
	for (const line of src.split("\n")) {
		if (/^    "[^"]+": \{$/.test(line)) models++;
		if (models <= 3 || !line.startsWith("    ")) out.push(line);
	}
	process.stdout.write(out.join("\n"));
} else {
	throw new Error("kind: provider-json or provider-js");
}
