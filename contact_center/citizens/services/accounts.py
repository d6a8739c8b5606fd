"""Citizens' accounts on the mobile app: sign-up, email verification, log-in and app tokens.

An account joins a `Citizen` only when its email is verified, and only through that proof: the
citizen holding the address (the cases filed with it as contact address, on the web, the phone or
the chat) becomes the account's, or a new one is created. The document number and phone typed at
sign-up are kept as unverified claims: they never join a history, so typing somebody else's cédula
shows nothing of theirs (see `contact_center.citizens.services.identities`). Before verification an account
has no citizen and sees nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION
from contact_center.citizens.models.accounts import CitizenAccount, CitizenToken, EmailVerification
from contact_center.citizens.services.identities import (
    CitizenDetails,
    attach_claims,
    document_value,
    find_or_create_citizen,
    normalize_email,
    normalize_phone,
)
from contact_center.core.auth import check_usable, hash_password, token_digest
from contact_center.core.db.models import Citizen, CitizenIdentity, DataConsent
from contact_center.core.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from contact_center.core.uow import UnitOfWork
from contact_center.outbound.jobs import deliver_job
from contact_center.outbound.services import mail

if TYPE_CHECKING:
    from contact_center.core.jobs.port import JobContext

log = logging.getLogger(__name__)

APP_ACCOUNT = "app_account"
VERIFICATION_MAIL_JOB = "contact_center.citizens.services.accounts:send_verification_job"
VERIFICATION_TTL = timedelta(hours=48)
DEFAULT_TOKEN_TTL = timedelta(days=30)
# Same cost as a real check, so an unknown email cannot be told from a wrong password by timing.
_DUMMY_HASH = hash_password("not-a-real-password")
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Registration:
    email: str
    password: str
    name: str
    document_type: str | None = None
    document_number: str | None = None
    phone: str | None = None
    privacy_notice_version: str = PRIVACY_NOTICE_VERSION


@dataclass(frozen=True, slots=True)
class Registered:
    """A new account and the verification token to send (only its hash is stored)."""

    account_id: int
    email: str
    verification_token: str


@dataclass(frozen=True, slots=True)
class CitizenPrincipal:
    """An authenticated app user, as every citizen route sees them."""

    account_id: int
    citizen_id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class CitizenSession:
    token: str
    principal: CitizenPrincipal
    ttl: timedelta


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def register(uow: UnitOfWork, data: Registration) -> Registered:
    """Create an unverified account and a verification token; the caller sends it and commits."""
    email = normalize_email(data.email)
    if data.document_number:
        document_value(data.document_type or "CC", data.document_number)  # refuses a bad one now
    taken = await uow.session.scalar(select(CitizenAccount.id).where(CitizenAccount.email == email))
    if taken is not None:
        raise Conflict("Ya existe una cuenta con ese correo. Inicie sesión.", code="email_registered")
    now = uow.clock.now()
    account = CitizenAccount(
        email=email,
        password_hash=hash_password(data.password),
        name=data.name.strip(),
        document_type=(data.document_type or "CC").upper() if data.document_number else None,
        document_number=data.document_number,
        phone=normalize_phone(data.phone) if data.phone else None,
        privacy_notice_version=data.privacy_notice_version,
        created_at=now,
    )
    uow.session.add(account)
    await uow.session.flush()
    token = secrets.token_urlsafe(24)
    uow.session.add(
        EmailVerification(
            account_id=account.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + VERIFICATION_TTL,
        )
    )
    await uow.session.flush()
    log.info("citizen_registered", extra={"account_id": account.id})
    return Registered(account.id, email, token)


def verification_text(token: str, base_url: str) -> tuple[str, str]:
    """Subject and body of the verification e-mail (plain text, Spanish)."""
    body = (
        "Hola:\n\n"
        "Para activar su cuenta en la aplicación Pasto Gobierno en Línea, escriba este código de "
        f"verificación en la aplicación:\n\n    {token}\n\n"
        f"El código vence en {int(VERIFICATION_TTL.total_seconds() // 3600)} horas. Si usted no creó "
        "esta cuenta, ignore este mensaje.\n\n"
        f"Alcaldía de Pasto - Línea 195\n{base_url}\n"
    )
    return "Active su cuenta de Pasto Gobierno en Línea", body


async def queue_verification_mail(uow: UnitOfWork, registered: Registered, base_url: str) -> int:
    """Store the verification e-mail as a pending outbound message (the caller commits)."""
    subject, body = verification_text(registered.verification_token, base_url)
    message = await mail.queue_message(uow, to=registered.email, subject=subject, body=body)
    return message.id


async def send_verification_job(ctx: JobContext, outbound_id: int) -> None:
    """Job: send the stored verification e-mail once (a retry after success sends nothing)."""
    # Without SMTP_HOST the message is kept as `waiting` in outbound_messages (logged once there).
    await deliver_job(ctx, int(outbound_id))


async def verify_email(uow: UnitOfWork, token: str) -> CitizenAccount:
    """Use a verification token: the account's email becomes a verified identity of its citizen."""
    row = (
        await uow.session.execute(
            select(EmailVerification, CitizenAccount)
            .join(CitizenAccount, CitizenAccount.id == EmailVerification.account_id)
            .where(EmailVerification.token_hash == token_digest(token.strip()))
        )
    ).first()
    now = uow.clock.now()
    if row is None or row[0].used_at is not None:
        raise InvalidInput("El código de verificación no es válido.", code="invalid_verification")
    verification, account = row
    if verification.expires_at <= now:
        raise InvalidInput("El código de verificación expiró.", code="verification_expired")
    verification.used_at = now
    account.email_verified_at = now
    account.citizen_id = await _join_citizen(uow, account)
    await uow.session.flush()
    log.info("citizen_email_verified", extra={"account_id": account.id, "citizen_id": account.citizen_id})
    return account


async def _join_citizen(uow: UnitOfWork, account: CitizenAccount) -> int:
    """The citizen behind the now verified email; what else was typed at sign-up is a mere claim."""
    proof = CitizenDetails(name=account.name, email=account.email, email_verified=True)
    citizen = await find_or_create_citizen(uow, proof)
    claims = CitizenDetails(
        document_type=account.document_type, document_number=account.document_number, phone=account.phone
    )
    await attach_claims(uow, citizen, claims)
    app_identity = CitizenIdentity(
        citizen_id=citizen.id,
        kind=APP_ACCOUNT,
        value=str(account.id),
        verified=True,
        created_at=uow.clock.now(),
    )
    uow.session.add(app_identity)
    consent = DataConsent(
        citizen_id=citizen.id,
        notice_version=account.privacy_notice_version,
        channel="app",
        given_at=account.created_at,
    )
    uow.session.add(consent)
    return citizen.id


async def _root_citizen(uow: UnitOfWork, citizen_id: int) -> int:
    """Follow merges: officials merge duplicates by pointing one citizen at another."""
    seen = {citizen_id}
    while True:
        merged = await uow.session.scalar(select(Citizen.merged_into_id).where(Citizen.id == citizen_id))
        if merged is None or merged in seen:
            return citizen_id
        seen.add(merged)
        citizen_id = merged


async def login(uow: UnitOfWork, email: str, password: str, ttl: timedelta) -> CitizenSession:
    """Check the password and issue an app token; unverified accounts are refused with a clear code."""
    account = await uow.session.scalar(
        select(CitizenAccount).where(CitizenAccount.email == normalize_email(email))
    )
    if account is None:
        _password_matches(_DUMMY_HASH, password)
        raise Unauthorized("Correo o contraseña incorrectos.", code="invalid_credentials")
    if not _password_matches(account.password_hash, password):
        log.warning("citizen_login_failed", extra={"account_id": account.id})
        raise Unauthorized("Correo o contraseña incorrectos.", code="invalid_credentials")
    if account.email_verified_at is None or account.citizen_id is None:
        raise Forbidden(
            "Confirme su correo electrónico con el código que le enviamos antes de iniciar sesión.",
            code="email_not_verified",
        )
    token = secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.session.add(
        CitizenToken(
            account_id=account.id, token_hash=token_digest(token), created_at=now, expires_at=now + ttl
        )
    )
    principal = CitizenPrincipal(account.id, account.citizen_id, account.name, account.email)
    await uow.commit()
    return CitizenSession(token, principal, ttl)


async def authenticate(uow: UnitOfWork, token: str) -> CitizenPrincipal:
    """The citizen behind an app token, or `Unauthorized` with a code saying why."""
    row = (
        await uow.session.execute(
            select(CitizenToken, CitizenAccount)
            .join(CitizenAccount, CitizenAccount.id == CitizenToken.account_id)
            .where(CitizenToken.token_hash == token_digest(token))
        )
    ).first()
    check_usable(row[0] if row else None, uow.clock.now())
    assert row is not None  # check_usable refused a missing token
    account = row[1]
    assert account.citizen_id is not None  # tokens are issued to verified accounts only
    return CitizenPrincipal(
        account.id, await _root_citizen(uow, account.citizen_id), account.name, account.email
    )


async def revoke(uow: UnitOfWork, token: str) -> None:
    await uow.session.execute(
        update(CitizenToken)
        .where(CitizenToken.token_hash == token_digest(token), CitizenToken.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
    )
    await uow.commit()
