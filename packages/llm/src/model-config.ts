/**
 * `provider:name` model ids (manifest `model:` fields) turned into AI SDK language models, with
 * keys and endpoints read from the usual environment variables.
 *
 * | provider            | key                  | endpoint                                                  |
 * |---------------------|----------------------|-----------------------------------------------------------|
 * | `openai`            | `OPENAI_API_KEY`     | `OPENAI_BASE_URL` (optional)                              |
 * | `anthropic`         | `ANTHROPIC_API_KEY`  | `ANTHROPIC_BASE_URL` (optional)                           |
 * | `ollama`            | none                 | `OLLAMA_BASE_URL`, else `OLLAMA_HOST` + `/v1`, else `http://127.0.0.1:11434/v1` |
 * | `openai-compatible` | `OPENAI_API_KEY` (optional) | `OPENAI_BASE_URL` (required): vLLM, llama.cpp, LM Studio... |
 *
 * Ollama is reached through its OpenAI-compatible `/v1` endpoint: the community Ollama providers
 * do not yet implement the AI SDK 6 model interface on Node 20.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { JSONValue, LanguageModel } from 'ai';
import { BatonError } from 'batonjs/internal';

export const PROVIDERS = ['openai', 'anthropic', 'ollama', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** A parsed `provider:name`. The name may itself hold colons (`ollama:llama3.1:8b`). */
export interface ModelId {
  provider: ProviderName;
  name: string;
}

/** Provider-specific request options, keyed by provider (the AI SDK's `providerOptions`). */
export type ProviderOptions = Record<string, Record<string, JSONValue>>;

/** A model ready to call, with the options every Baton call to it should carry. */
export interface ResolvedModel {
  /** The id as written, e.g. `openai:gpt-4o-mini`. */
  id: string;
  model: LanguageModel;
  providerOptions: ProviderOptions;
}

/**
 * Turns a model id into a model. `where` names the manifest field it came from, for messages
 * (e.g. `orchestrator.model in ./baton.yaml`). Tests and embedders pass their own resolver to
 * use mock or custom models.
 */
export type ModelResolver = (id: string, where: string) => ResolvedModel;

export type Env = Readonly<Record<string, string | undefined>>;

// User schemas rarely meet OpenAI's strict subset (every property required, no extra keys):
// ask for the schema's shape without strict mode and let Baton's validator judge the output.
const LENIENT_SCHEMA: ProviderOptions = {
  openai: { strictJsonSchema: false },
  openaiCompatible: { strictJsonSchema: false },
};

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434/v1';

/**
 * Parses `provider:name`.
 *
 * @throws BatonError `MODEL_NOT_CONFIGURED` for an unknown provider or a missing name.
 */
export function parseModelId(id: string, where = 'model'): ModelId {
  const colon = id.indexOf(':');
  const provider = colon < 0 ? id : id.slice(0, colon);
  const name = colon < 0 ? '' : id.slice(colon + 1);
  if (!(PROVIDERS as readonly string[]).includes(provider) || name.trim() === '') {
    throw new BatonError(
      'MODEL_NOT_CONFIGURED',
      `${where} is '${id}': expected provider:name with provider one of ${PROVIDERS.join(', ')} (e.g. openai:gpt-4o-mini, ollama:llama3.1, openai-compatible:qwen2.5)`,
      { retryable: false },
    );
  }
  return { provider: provider as ProviderName, name };
}

/**
 * Builds the model of an id from the environment.
 *
 * @throws BatonError `MODEL_NOT_CONFIGURED` naming the environment variable to set when a key or
 *   an endpoint is missing.
 */
export function resolveModel(id: string, where = 'model', env: Env = process.env): ResolvedModel {
  const { provider, name } = parseModelId(id, where);
  const need = (variable: string, example: string): string => {
    const value = env[variable];
    if (value) return value;
    throw new BatonError('MODEL_NOT_CONFIGURED', `${where} is '${id}', which needs the environment variable ${variable}: set it (e.g. export ${variable}=${example}) or choose another model`, {
      retryable: false,
    });
  };
  const optional = (variable: string): string | undefined => env[variable] || undefined;
  switch (provider) {
    case 'openai': {
      const baseURL = optional('OPENAI_BASE_URL');
      const openai = createOpenAI({ apiKey: need('OPENAI_API_KEY', 'sk-...'), ...(baseURL ? { baseURL } : {}) });
      // Chat completions: what OpenAI and every OpenAI-compatible proxy speak.
      return { id, model: openai.chat(name), providerOptions: LENIENT_SCHEMA };
    }
    case 'anthropic': {
      const baseURL = optional('ANTHROPIC_BASE_URL');
      const anthropic = createAnthropic({ apiKey: need('ANTHROPIC_API_KEY', 'sk-ant-...'), ...(baseURL ? { baseURL } : {}) });
      return { id, model: anthropic(name), providerOptions: {} };
    }
    case 'ollama':
      return compatible(id, name, ollamaUrl(env), optional('OLLAMA_API_KEY'));
    case 'openai-compatible':
      return compatible(id, name, need('OPENAI_BASE_URL', 'http://127.0.0.1:8000/v1'), optional('OPENAI_API_KEY'));
  }
}

function compatible(id: string, name: string, baseURL: string, apiKey: string | undefined): ResolvedModel {
  const provider = createOpenAICompatible({
    name: 'openaiCompatible',
    baseURL,
    ...(apiKey ? { apiKey } : {}),
    includeUsage: true,
    // vLLM, llama.cpp, LM Studio and Ollama all accept response_format json_schema.
    supportsStructuredOutputs: true,
  });
  return { id, model: provider.chatModel(name), providerOptions: LENIENT_SCHEMA };
}

function ollamaUrl(env: Env): string {
  if (env.OLLAMA_BASE_URL) return env.OLLAMA_BASE_URL;
  const host = env.OLLAMA_HOST;
  if (!host) return DEFAULT_OLLAMA_URL;
  const withScheme = /^https?:\/\//.test(host) ? host : `http://${host}`;
  return `${withScheme.replace(/\/+$/, '')}/v1`;
}

/** A resolver over a fixed environment (default `process.env`). */
export function envModelResolver(env: Env = process.env): ModelResolver {
  return (id, where) => resolveModel(id, where, env);
}

/** Where a manifest field is, for messages: `orchestrator.model in /path/baton.yaml`. */
export function fieldOf(path: string, file: string | undefined): string {
  return file ? `${path} in ${file}` : path;
}
