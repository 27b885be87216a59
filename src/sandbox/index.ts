export { startSandbox, type Sandbox, type SandboxOptions, type SandboxTraffic } from './server';
export {
  Emulator,
  type EmulatorOptions,
  type EmulatorStats,
  type EmulatorRequest,
  type EmulatorResponse,
  type SandboxCredentials,
  type DeepPartial,
} from './emulator';
export type { FaultOptions } from './faults';
export { sampleInvite } from './seed';
