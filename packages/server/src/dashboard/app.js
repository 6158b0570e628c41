// The dashboard's router: `#/` the runs, `#/runs/<id>` one run. No build step, no framework.
import { api } from './api.js';
import { homeView } from './home.js';
import { runView } from './run-view.js';

const root = document.getElementById('view');
let cleanup = () => {};
let agentsInfo;

async function loadAgents() {
  try {
    agentsInfo = await api.agents();
    document.getElementById('orchestrator-name').textContent = agentsInfo.orchestrator.name;
    document.title = `Baton · ${agentsInfo.orchestrator.name}`;
  } catch {
    agentsInfo = undefined;
  }
}

async function route() {
  cleanup();
  const m = /^#\/runs\/([^/?#]+)/.exec(location.hash);
  window.scrollTo(0, 0);
  if (m) {
    cleanup = runView(root, decodeURIComponent(m[1]));
  } else {
    if (!agentsInfo) await loadAgents();
    cleanup = homeView(root, agentsInfo);
  }
}

window.addEventListener('hashchange', route);
loadAgents().then(route);
