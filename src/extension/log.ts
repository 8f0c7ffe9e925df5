// One LogOutputChannel ("CodeIntent" in the Output panel) and the one way failures reach the user.

import * as vscode from 'vscode';
import { messageOf, UserError } from '../core/errors.js';
import { openSettingsOf, SettingsError } from './config.js';
import { RequestError } from './indexClient.js';
import type { LogLevel } from '../shared/worker-protocol.js';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('CodeIntent', { log: true });
}

export function write(log: Log, level: LogLevel, message: string): void {
  log[level](message);
}

export function isCancellation(error: unknown): boolean {
  return (error instanceof RequestError && error.kind === 'cancelled') || error instanceof vscode.CancellationError;
}

/**
 * Tells the user that `what` failed: a user error as it is (it says what to do), anything else with
 * the log at hand. Cancellations are not failures and stay silent.
 */
export function reportError(log: Log, what: string, error: unknown): void {
  if (isCancellation(error)) return;
  const user = error instanceof UserError || (error instanceof RequestError && error.kind === 'user');
  const message = messageOf(error);
  const stack = error instanceof RequestError ? error.workerStack : error instanceof Error && !user ? error.stack : undefined;
  log.error(`${what} failed: ${stack ?? message}`);
  const buttons: Record<string, () => unknown> = {
    ...(error instanceof SettingsError ? { 'Open Settings': () => openSettingsOf(error.setting) } : {}),
    'Show Log': () => log.show(true),
  };
  void vscode.window.showErrorMessage(user ? `CodeIntent: ${message}` : `CodeIntent: ${what} failed: ${message}`, ...Object.keys(buttons)).then((choice) => choice && buttons[choice]?.());
}
