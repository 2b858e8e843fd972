# keel_static_archives(<out> <library names...>): for each name, in the dependency order
# pkg-config --static lists them, the path of its static archive where Debian ships one, else
# -l<name>. glibc's own libraries (m, dl, rt, pthread) and libatomic stay shared. A name listed
# twice keeps its last place, which is after everything that needs it: archives are then linked
# in one pass without a link group.
function(keel_static_archives out)
  set(result)
  foreach(name ${ARGN})
    if(name MATCHES "^(c|m|dl|rt|pthread|atomic)$")
      list(APPEND result -l${name})
      continue()
    endif()
    string(MAKE_C_IDENTIFIER "KEEL_ARCHIVE_${name}" var)
    find_library(${var} NAMES lib${name}.a)
    if(${var})
      list(APPEND result ${${var}})
    else()
      list(APPEND result -l${name})
    endif()
  endforeach()
  list(REVERSE result)
  list(REMOVE_DUPLICATES result)
  list(REVERSE result)
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# Links target (an INTERFACE library) to the archives for an executable with the KEEL_STATIC_DEPS
# property, and to the shared libraries for everything else.
function(keel_link_static_or_shared target archives shared)
  set(static "$<BOOL:$<TARGET_PROPERTY:KEEL_STATIC_DEPS>>")
  target_link_libraries(${target} INTERFACE "$<${static}:${archives}>"
                                            "$<$<NOT:${static}>:${shared}>")
endfunction()
