/** Test doubles for users testing their own manifests, integrators and agents: `import { scriptedAgent } from 'batonjs/testing'`. */
export { scriptedAgent, defaultOutput } from './scripted-agent.ts';
export type { ScriptedAgent, ScriptedAgentOptions, ScriptStep } from './scripted-agent.ts';
export { attemptKey, FaultInjector, roll, seededRandom, withFaults } from './fault-injector.ts';
export type { FaultInjectorOptions, FaultWeights, InProcessFault, WithFaultsOptions } from './fault-injector.ts';
export { examplesSuite, formatReport, junitXml, runEvalSuite, runLoadedSuite, summaryLine, SuiteError } from '../eval/index.ts';
export type { CaseReport, Difference, EvalOptions, EvalProgress, EvalReport, EvalSuite, EvalSuiteInput } from '../eval/index.ts';
