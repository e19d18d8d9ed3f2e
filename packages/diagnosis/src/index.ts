export { GuestMemory, SATP_MODE_BARE, SATP_MODE_SV39, latin1 } from './sv39.js';
export type { MemoryReader } from './sv39.js';
export { SYSCALLS, NR_SYSCALLS, OUT_KINDS, syscallDef, syscallByName, syscallName, unknownSyscall } from './syscall-table.js';
export type { ArgKind, ArgSpec, ResultKind, SyscallDef } from './syscall-table.js';
export { errnoName, errnoMessage, errnoNumber, resultErrno, MAX_ERRNO } from './errno.js';
export { signalName, signalDescription, formatSigset, CORE_SIGNALS, SIGRTMIN, SIGRTMAX } from './signals.js';
export * as flags from './flags.js';
export { quoteBytes, decodeEntryArgs, decodeExitArgs, formatResult, formatCall, finalArgTexts, formatSyscall, isArgShown, defFor, retryEntryArgs, fillUnreadArgs } from './format.js';
export type { FormatOptions, ArgTexts, ExitDecoding, ResultText } from './format.js';
export { ProcessReader, taskLayoutFromProfile, currentTaskPointer, isKernelPointer, MAX_COMM_LEN, MAX_TASK_STRUCT, MAX_PT_REGS } from './process.js';
export { attributionProblem, attributionWarning, profileRelease } from './attribution-check.js';
export type { TaskLayout, TaskInfo, HartRegs, ProfileCheck } from './process.js';
export { syscallsAnalysis, mergeSyscallTraces, stitch, unfinishedRecord, SYSCALL_TRACE_VERSION } from './syscall-tracer.js';
export type {
  SyscallTrace, SyscallRecord, SyscallEntryPart, SyscallExitPart, SyscallOutcome, TracePosition, TaskRef,
  AttributionStatus, SyscallTracerOptions,
} from './syscall-tracer.js';
export { findAnomalies, BLOCKING_BY_NATURE } from './anomalies.js';
export type { Anomaly, AnomalyKind, AnomalySeverity, AnomalyOptions } from './anomalies.js';

import { syscallsAnalysis as tracer } from './syscall-tracer.js';
import { taskLayoutAnalysis as taskLayout } from './task-observations.js';
export { taskLayoutAnalysis, mergeTaskObservations, commOfPath, TASK_OBSERVATIONS_VERSION } from './task-observations.js';
export type { TaskObservation, TaskObservations, ObservationKind } from './task-observations.js';
export { calibrateTaskLayout, CALIBRATION_VERSION, MIN_OBSERVATIONS } from './calibrate.js';
export type { CalibrationResult, CalibratedProfile, FieldEvidence, CalibrationFailure, Confidence } from './calibrate.js';

/** The analyses this package adds, for AnalysisRegistry.load (worker threads and remote workers load them by URL). */
export const analysisKinds = [tracer, taskLayout];
export { renderTextReport, buildReportModel, seekCommand, MTIME_HZ } from './report-text.js';
export type { ReportInput, ReportSlice, ReportModel, ReportProcess, TextReportOptions } from './report-text.js';
export { renderHtmlReport, escapeHtml } from './report-html.js';
export type { HtmlReportOptions } from './report-html.js';
export { Btf, BtfError, btfSectionOfElf, BTF_KIND } from './btf.js';
export type { BtfType, BtfMember } from './btf.js';
export { profileFromBtf, profileDifferences, btfBytes } from './btf-profile.js';
export type { BtfProfile } from './btf-profile.js';
export { DebugInfoError } from './debug-info-error.js';
export { Dwarf, DwarfError } from './dwarf.js';
export type { DwarfStruct, DwarfMember } from './dwarf.js';
export { ElfFile, ElfError, isElf } from './elf.js';
export { profileFromDwarf } from './dwarf-profile.js';
export { profileFromTypes, typeLayouts } from './profile-fields.js';
export type { TypeLayouts, StructReader, DebugInfoProfile, DebugInfoSource } from './profile-fields.js';
export { profileFromDebugInfo, looksLikeSystemMap, isSystemMapFile, SYSTEM_MAP_MESSAGE } from './debug-info-profile.js';
export type { DebugInfoKind } from './debug-info-profile.js';
export { parseSystemMap, readSystemMap, systemMapFromBytes } from './system-map.js';
export type { MapSymbol } from './system-map.js';
export { profileFromSystemMap } from './system-map-profile.js';
export type { SystemMapProfile, SystemMapProfileOptions } from './system-map-profile.js';
