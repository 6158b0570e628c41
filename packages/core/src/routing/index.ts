export { candidateAgents, capableAgents } from './candidate-agents.ts';
