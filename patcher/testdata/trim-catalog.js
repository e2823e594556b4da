// trim-catalog.js makes the committed catalog fixtures: a real pi-ai
// dist/models.generated.js cut down to a few models of a few providers,
// byte for byte as pi-ai generated them (header, layout and footer intact).
//
//   npm pack @mariozechner/pi-ai@0.49.3 && tar xzf mariozechner-pi-ai-0.49.3.tgz
//   node trim-catalog.js package/dist/models.generated.js > pi-ai-0.49.3.models.generated.js
//
// Providers kept: anthropic (its first 6 models) and a few others whose
// models must stay untouched, among them Anthropic-compatible APIs under
// other hosts (minimax, opencode, vercel-ai-gateway, cloudflare-ai-gateway).
const fs = require("fs");
const keep = {
	"amazon-bedrock": 2,
	anthropic: 6,
	"cloudflare-ai-gateway": 2,
	"github-copilot": 2,
	minimax: 2,
	opencode: 3,
	"vercel-ai-gateway": 2,
};
const lines = fs.readFileSync(process.argv[2], "utf8").split("\n");
const out = [];
let provider = null;
let models = 0;
let keepModel = false;
for (const line of lines) {
	const p = line.match(/^    "([^"]+)": \{$/);
	if (p) {
		provider = p[1];
		models = 0;
		if (provider in keep) out.push(line);
		continue;
	}
	if (provider !== null && line === "    },") {
		if (provider in keep) out.push(line);
		provider = null;
		continue;
	}
	if (provider === null) {
		out.push(line);
		continue;
	}
	if (!(provider in keep)) continue;
	if (/^        "[^"]+": \{$/.test(line)) {
		models++;
		keepModel = models <= keep[provider];
	}
	if (keepModel) out.push(line);
}
process.stdout.write(out.join("\n"));
