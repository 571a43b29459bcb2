/**
 * An application with its personal part sealed under an owner's id (the stored record, the quote
 * request on the bus), and opened again. What has no sealed part (erased, or written in the clear
 * by an earlier version) is answered as it is.
 */
import type { Application } from '../application/types';
import type { Keyring } from './keyring';
import { open, seal } from './seal';
import { joinApplication, splitApplication, type AnonymisedApplication, type PersonalData } from './split';

export function sealApplication(keyring: Keyring, ownerId: string, application: Application): AnonymisedApplication {
  const { personal, rest } = splitApplication(application);
  return { ...rest, personal: { sealed: seal(keyring, ownerId, personal) } };
}

export function openApplication(keyring: Keyring, ownerId: string, application: AnonymisedApplication): AnonymisedApplication {
  const personal = application.personal;
  if (!personal || !('sealed' in personal)) return application;
  return joinApplication(application, open(keyring, ownerId, personal.sealed) as PersonalData);
}
