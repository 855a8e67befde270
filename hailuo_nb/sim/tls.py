"""A throwaway self-signed certificate for the optional https video origin.

Real gateways hand out https URLs; a client that refuses plain http can still run
against the simulator with `SimServer(https=True)` and trust `srv.tls_cert_path`. The
certificate (an EC P-256 key, valid for 127.0.0.1, ::1 and localhost for a week, marked
as its own CA so that strict X.509 checks accept it as a trust anchor) is made with the
`cryptography` package when it is installed, else with the `openssl` command; with
neither, `available()` is False and https cannot be turned on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
from pathlib import Path

NAMES = ("localhost",)
IPS = ("127.0.0.1", "::1")


def _have_cryptography() -> bool:
    try:
        import cryptography.x509  # noqa: F401
    except ImportError:
        return False
    return True


def available() -> bool:
    """True when a certificate can be made on this machine."""
    return _have_cryptography() or shutil.which("openssl") is not None


def _with_cryptography(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hailuo-sim")])
    now = dt.datetime.now(dt.timezone.utc)
    alt = [x509.DNSName(n) for n in NAMES] + [x509.IPAddress(ipaddress.ip_address(i))
                                              for i in IPS]
    ski = x509.SubjectKeyIdentifier.from_public_key(private.public_key())
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False)
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
             .public_key(private.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(days=1))
             .not_valid_after(now + dt.timedelta(days=7))
             .add_extension(x509.SubjectAlternativeName(alt), critical=False)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(usage, critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                            critical=False)
             .add_extension(ski, critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                            critical=False)
             .sign(private, hashes.SHA256()))
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))


def _with_openssl(cert: Path, key: Path) -> None:
    alt = ",".join([f"DNS:{n}" for n in NAMES] + [f"IP:{i}" for i in IPS])
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", "/CN=hailuo-sim",
         "-addext", f"subjectAltName={alt}", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
         "-addext", "extendedKeyUsage=serverAuth"],
        check=True, capture_output=True, timeout=30)


def make_certificate(directory: Path, use_cryptography: bool | None = None) -> tuple[Path, Path]:
    """Write cert.pem and key.pem into `directory`; RuntimeError when no tool is there."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if use_cryptography is None:
        use_cryptography = _have_cryptography()
    if use_cryptography:
        _with_cryptography(cert, key)
    elif shutil.which("openssl"):
        try:
            _with_openssl(cert, key)
        except (subprocess.SubprocessError, OSError) as exc:
            raise RuntimeError(f"openssl could not make a certificate: {exc}") from exc
    else:
        raise RuntimeError("https needs the 'cryptography' package or the 'openssl' command")
    key.chmod(0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context for the certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def client_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only the simulator's certificate."""
    return ssl.create_default_context(cafile=str(cert))
