"""The elevator's file as a download (``GET /console/elevators/{code}/bundle``): one ZIP with
the elevator's chain, the organization chains that sign it, each entry's inclusion proof and
the signed checkpoint (``api/elevator_bundle.py``), which ``elevator-ledger verify FILE``
checks offline. Scoped like every console page: another district's elevator is a 403 page,
an unknown one a 404 page, and neither says anything of the elevator."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import NodeDep
from api.elevator_bundle import BundleTooLarge, elevator_bundle
from api.web.render import page
from api.web.session import ConsoleUserDep
from domain.application.log_chains import ChainFault
from ledger.bundle import BundleError
from projections import read

router = APIRouter(include_in_schema=False)


@router.get("/console/elevators/{code}/bundle")
def elevator_bundle_download(
    request: Request, user: ConsoleUserDep, node: NodeDep, code: str
) -> Response:
    """The ZIP as an attachment, ``Cache-Control: no-store`` like every console page."""
    found = read.resolve(node.engine, code) if len(code) <= 64 else None
    view = read.elevator(node.engine, found, node.today()) if found else None
    if found is None or view is None:
        return _problem(
            request, user, 404, "没有这部电梯", f"账本中没有识别码为 {code[:64]} 的电梯。"
        )
    if view.status.district is None:  # covered by no scope (domain/model/jurisdiction.py)
        return _problem(
            request,
            user,
            403,
            "辖区未知",
            "这部电梯尚无使用登记，所在区域未知，不属于任何辖区，暂不能下载其档案。",
        )
    if not user.sees(view.status.district):
        return _problem(
            request, user, 403, "不在您的辖区", "这部电梯不在您账号所辖的区域内，无法下载其档案。"
        )
    try:
        made = elevator_bundle(node, found)
    except ChainFault as fault:
        return _problem(
            request, user, 409, "账本与事件库不一致", f"无法从账本读出这部电梯的哈希链：{fault}"
        )
    except (BundleError, BundleTooLarge) as exc:
        return _problem(request, user, 409, "无法生成档案", str(exc))
    if made is None:
        return _problem(request, user, 404, "没有这部电梯", f"账本中没有电梯 {found} 的记录。")
    return Response(
        made.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _problem(
    request: Request, user: ConsoleUserDep, status: int, title: str, detail: str
) -> Response:
    return page(
        request,
        "console/bundle_problem.html",
        user,
        status_code=status,
        title=title,
        detail=detail,
    )
